"""Errors and results of a sync."""

from __future__ import annotations

from dataclasses import dataclass, field


class SyncError(Exception):
    """The source cannot be read as a whole; the mirror was left unchanged."""


@dataclass(frozen=True)
class SkippedRow:
    table: str
    row_id: str
    reason: str


@dataclass
class SyncSummary:
    new: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        return (
            f"{self.new} new, {self.changed} changed, {self.removed} removed, "
            f"{len(self.skipped)} skipped in {self.seconds:.2f} s"
        )
