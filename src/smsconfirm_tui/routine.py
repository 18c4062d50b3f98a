"""The service object the app and the command line call for each step of the routine.

Everything here is plain Python: tests call it without a terminal. Each
thread gets its own mirror connection, because SQLite connections must not
be shared between threads.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from smsconfirm_tui.config import Config
from smsconfirm_tui.domain.calendar import DueCheck, DueState, SalonCalendar, check_due, zurich_now
from smsconfirm_tui.domain.status import MessageState, StatusFacts, VisitStatus, decide_status
from smsconfirm_tui.domain.templates import MessageFields, render_message
from smsconfirm_tui.domain.visits import Visit, format_local, group_visits
from smsconfirm_tui.gateway.base import Gateway
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.sending.replies import FetchSummary, fetch_replies, resolve_reply
from smsconfirm_tui.sending.sender import Sender, SendProgress, SendSummary, reconcile
from smsconfirm_tui.store.mirror import ClientRow, MessageRow, Mirror, ReplyRow, SalonRow
from smsconfirm_tui.store.profiles import ProfileChange, save_profile

if TYPE_CHECKING:
    from smsconfirm_tui.sync.batches import SyncProgress
    from smsconfirm_tui.sync.errors import SyncSummary

# How far ahead "confirm in advance" looks: the longest lead time plus the
# days a due day can move back over closed days and holidays.
DUE_LOOKAHEAD_DAYS = 14 + 10

SENDABLE = frozenset({VisitStatus.TO_SEND, VisitStatus.FAILED})


@dataclass(frozen=True)
class DayRow:
    """One visit as a row of the day list."""

    visit: Visit
    client: ClientRow
    salon: SalonRow
    lead_days: int
    status: VisitStatus
    rule: str
    moved: bool
    message: MessageRow | None
    reply: ReplyRow | None
    due: DueCheck | None

    @property
    def key(self) -> str:
        return self.visit.key


@dataclass(frozen=True)
class SendPlan:
    rows: tuple[DayRow, ...]
    preview: str  # the text of the first message

    @property
    def count(self) -> int:
        return len(self.rows)


class Routine:
    def __init__(
        self,
        config: Config,
        mirror_path: Path,
        gateway_factory: Callable[[], Gateway],
        clock: Callable[[], datetime] = zurich_now,
    ) -> None:
        self.config = config
        self.mirror_path = Path(mirror_path)
        self.gateway_factory = gateway_factory
        self.clock = clock
        self._local = threading.local()
        self._mirrors: list[Mirror] = []
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------

    @property
    def mirror(self) -> Mirror:
        mirror = getattr(self._local, "mirror", None)
        if mirror is None:
            mirror = Mirror(self.mirror_path)
            self._local.mirror = mirror
            with self._lock:
                self._mirrors.append(mirror)
        return mirror

    def close(self) -> None:
        with self._lock:
            for mirror in self._mirrors:
                try:
                    mirror.close()
                except Exception:  # noqa: BLE001 - a connection of a finished thread
                    pass
            self._mirrors.clear()

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()

    @property
    def actor(self) -> str:
        return self.config.actor

    def calendar(self, salon: SalonRow) -> SalonCalendar:
        settings = self.config.salon_settings(salon.id)
        canton = settings.canton or salon.canton or "ZH"
        return _calendar(canton, settings.open_days)

    def next_working_day(self, day: date) -> date:
        """Return the next day after ``day`` on which at least one salon is open."""
        salons = list(self.mirror.salons().values())
        if not salons:
            return day + timedelta(days=1)
        candidate = day + timedelta(days=1)
        for _ in range(60):
            if any(self.calendar(salon).is_open(candidate) for salon in salons):
                return candidate
            candidate += timedelta(days=1)
        return day + timedelta(days=1)

    def last_sync(self) -> str | None:
        return self.mirror.get_meta("last_sync_at")

    # -- sync ---------------------------------------------------------------

    def last_sync_at(self) -> datetime | None:
        """Return when the mirror was last synced, in the clock's time zone, or None if never."""
        text = self.last_sync()
        if not text:
            return None
        return datetime.fromisoformat(text).astimezone(self.now().tzinfo)

    def sync_is_stale(self) -> bool:
        """Tell whether the last sync is older than ``sync_max_age_hours``, or missing."""
        last = self.last_sync_at()
        return last is None or self.now() - last > timedelta(hours=self.config.sync_max_age_hours)

    def sync(
        self,
        *,
        progress: Callable[[SyncProgress], None] | None = None,
        is_cancelled: Callable[[], bool] = lambda: False,
    ) -> SyncSummary:
        """Read the configured salon database into the mirror; raises SyncError on a bad source."""
        from smsconfirm_tui.sync.errors import SyncError
        from smsconfirm_tui.sync.merge import merge_source
        from smsconfirm_tui.sync.sources import open_source

        if self.config.source is None:
            raise SyncError("no salon database is configured: set [source] in the config file")
        source = open_source(self.config.source)
        try:
            return merge_source(
                self.mirror, source, now=self.now(), actor=self.actor, progress=progress, is_cancelled=is_cancelled
            )
        finally:
            source.close()

    # -- the lists --------------------------------------------------------

    def rows_for_day(self, day: date) -> list[DayRow]:
        return self._rows(group_visits(self.mirror.appointment_lines(day, day)))

    def rows_due(self) -> list[DayRow]:
        """Return the visits due today by each client's own lead time, late ones included."""
        today = self.today()
        visits = group_visits(self.mirror.appointment_lines(today, today + timedelta(days=DUE_LOOKAHEAD_DAYS)))
        rows = self._rows(visits, with_due=True)
        return [
            row
            for row in rows
            if row.due is not None
            and row.due.state in (DueState.DUE, DueState.LATE)
            and row.status is not VisitStatus.CANCELLED
        ]

    def row(self, visit_key: str, day: date) -> DayRow | None:
        for row in self.rows_for_day(day):
            if row.key == visit_key:
                return row
        return None

    def _rows(self, visits: list[Visit], *, with_due: bool = False) -> list[DayRow]:
        mirror = self.mirror
        salons = mirror.salons()
        clients = mirror.clients(visit.client_id for visit in visits)
        messages = mirror.messages_for_visits(visit.key for visit in visits)
        latest_ids = [found[-1].id for found in messages.values()]
        replies = mirror.latest_replies(latest_ids)
        now = self.now()
        rows: list[DayRow] = []
        for visit in visits:
            client = clients.get(visit.client_id)
            salon = salons.get(visit.salon_id)
            if client is None or salon is None:
                continue
            lead_days = client.lead_days if client.lead_days is not None else self.config.default_lead_days
            history = messages.get(visit.key, [])
            starts_at = format_local(visit.starts_at)
            current = next((m for m in reversed(history) if m.visit_starts_at == starts_at
                            and m.state != MessageState.DROPPED), None)
            moved = current is None and any(
                m.state in (MessageState.SENT, MessageState.UNKNOWN) for m in history
            )
            reply = replies.get(current.id) if current is not None else None
            decision = decide_status(
                StatusFacts(
                    cancelled=visit.cancelled,
                    opted_out=client.opted_out,
                    sms_on=client.sms_on,
                    has_mobile=client.phone_e164 is not None,
                    has_invalid_number=client.phone_invalid,
                    message_state=MessageState(current.state) if current is not None else None,
                    reply_class=reply.reply_class if reply is not None else None,
                    resolution=reply.resolution if reply is not None else None,
                    moved=moved,
                )
            )
            due = None
            if with_due:
                start = visit.starts_at.replace(tzinfo=now.tzinfo)
                due = check_due(self.calendar(salon), start, lead_days, now,
                                timedelta(hours=self.config.min_notice_hours))
            rows.append(DayRow(visit, client, salon, lead_days, decision.status, decision.rule,
                               moved, current, reply, due))
        return rows

    # -- profile ----------------------------------------------------------

    def client(self, client_id: str) -> ClientRow | None:
        return self.mirror.client(client_id)

    def save_profile(self, client_id: str, *, sms_on: bool, lead_days: int | None, language: str) -> list[ProfileChange]:
        return save_profile(self.mirror, client_id, sms_on=sms_on, lead_days=lead_days,
                            language=language, actor=self.actor, now=self.now())

    # -- sending ----------------------------------------------------------

    def message_text(self, row: DayRow) -> str:
        fields = MessageFields(
            first_name=row.client.first_name,
            salon=row.salon.name,
            starts_at=row.visit.starts_at,
            salon_phone=row.salon.phone,
            language=row.client.language or "de",
        )
        return render_message(fields, self.config.templates or None)

    def plan_send(self, rows: list[DayRow]) -> SendPlan:
        """Keep the rows that can get an SMS now, with a preview of the first text."""
        sendable = tuple(row for row in rows if row.status in SENDABLE and row.client.phone_e164)
        preview = self.message_text(sendable[0]) if sendable else ""
        return SendPlan(sendable, preview)

    def send(
        self,
        plan: SendPlan,
        *,
        on_progress: Callable[[SendProgress], None] | None = None,
        is_cancelled: Callable[[], bool] = lambda: False,
    ) -> SendSummary:
        """Write the plan's messages to the outbox, then send them."""
        items = [
            outbox.OutboxItem(
                visit_key=row.key,
                visit_starts_at=row.visit.starts_at,
                client_id=row.client.id,
                salon_id=row.salon.id,
                to_e164=row.client.phone_e164 or "",
                text=self.message_text(row),
                sender=row.salon.sender,
            )
            for row in plan.rows
        ]
        gateway = self.gateway_factory()
        try:
            ids = outbox.enqueue(self.mirror, items, actor=self.actor, now=self.now(), provider=gateway.name)
            sender = Sender(self.mirror, gateway, sender_id=_sender_id(), clock=self.clock)
            return sender.send(ids, on_progress=on_progress, is_cancelled=is_cancelled)
        finally:
            gateway.close()

    def reconcile(self) -> int:
        gateway = self.gateway_factory()
        try:
            return reconcile(self.mirror, gateway, now=self.now())
        finally:
            gateway.close()

    # -- replies ----------------------------------------------------------

    def fetch_replies(self) -> FetchSummary:
        gateway = self.gateway_factory()
        try:
            return fetch_replies(self.mirror, gateway, now=self.now())
        finally:
            gateway.close()

    def resolve_reply(self, reply_id: int, resolution: str, note: str | None = None) -> None:
        resolve_reply(self.mirror, reply_id, resolution, actor=self.actor, now=self.now(), note=note)


def _sender_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


_CALENDARS: dict[tuple[str, frozenset[int]], SalonCalendar] = {}


def _calendar(canton: str, open_days: frozenset[int]) -> SalonCalendar:
    key = (canton, open_days)
    if key not in _CALENDARS:
        _CALENDARS[key] = SalonCalendar(canton=canton, open_weekdays=open_days)
    return _CALENDARS[key]
