"""Messages that workers post to the screens (thread-safe via ``post_message``)."""

from __future__ import annotations

from textual.message import Message

from smsconfirm_tui.sending.replies import FetchSummary
from smsconfirm_tui.sync.batches import SyncProgress
from smsconfirm_tui.sync.errors import SyncSummary
from smsconfirm_tui.sending.sender import SendProgress, SendSummary


class SendProgressed(Message):
    def __init__(self, progress: SendProgress) -> None:
        super().__init__()
        self.progress = progress


class SendFinished(Message):
    def __init__(self, summary: SendSummary | None, error: str | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error


class RepliesFetched(Message):
    def __init__(self, summary: FetchSummary | None, error: str | None = None, *, quiet: bool = False) -> None:
        super().__init__()
        self.summary = summary
        self.error = error
        self.quiet = quiet  # fetched by the timer: report only news and changed errors


class SyncProgressed(Message):
    def __init__(self, progress: SyncProgress) -> None:
        super().__init__()
        self.progress = progress


class SyncFinished(Message):
    def __init__(self, summary: SyncSummary | None, error: str | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error
