"""Replies: matching fetched replies to visits, and the header's attention counts.

The mirror is synthetic: one salon, one visit per client spread over five
days from Friday 4 December 2026, each with an accepted confirmation.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import Result
from smsconfirm_tui.config import Config
from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.gateway.base import InboundSms, OutgoingSms, ReplyBatch, SendOutcome, SendResult
from smsconfirm_tui.routine import Routine
from smsconfirm_tui.sending.replies import FetchSummary, fetch_replies
from smsconfirm_tui.store.mirror import Mirror

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=ZURICH)
REPLY_TEXTS = ("J", "Ja gerne", "Nein", "kann nicht", "Kann ich später kommen?", "Oui!")


@dataclass
class ListGateway:
    """A gateway that returns a fixed list of replies once."""

    replies: list[InboundSms]
    name: str = "bench"
    supports_replies: bool = True
    sent: list[OutgoingSms] = field(default_factory=list)

    def fetch_replies(self, cursor: str | None = None) -> ReplyBatch:
        return ReplyBatch([] if cursor else self.replies, "done")

    def send(self, sms: OutgoingSms) -> SendResult:
        self.sent.append(sms)
        return SendResult(SendOutcome.ACCEPTED, provider_id=str(len(self.sent)))

    def delivery_report(self, reference: str):  # pragma: no cover - not used
        raise NotImplementedError

    def close(self) -> None:
        pass


def build_mirror(path: Path, clients: int) -> None:
    """Write clients, one visit each over five days, and one accepted confirmation per visit."""
    mirror = Mirror(path)
    stamp = NOW.astimezone(ZURICH).isoformat(timespec="seconds")
    with mirror.transaction() as connection:
        connection.execute("INSERT INTO salons (id, name, phone, canton, sender) VALUES ('s1', 'Bench', '', 'ZH', 'Bench')")
        for index in range(clients):
            client_id = f"c{index:05d}"
            number = f"+4179{index:07d}"
            starts = datetime(2026, 12, 4, 8, 0) + timedelta(days=index % 5, minutes=15 * (index % 40))
            connection.execute(
                "INSERT INTO clients (id, first_name, last_name, confirm_sms, phone_e164, phone_kind) "
                "VALUES (?, 'Bench', ?, 1, ?, 'mobile')",
                (client_id, client_id, number),
            )
            connection.execute(
                "INSERT INTO appointments (id, client_id, salon_id, starts_at, status) VALUES (?, ?, 's1', ?, 'booked')",
                (f"a{index:05d}", client_id, f"{starts:%Y-%m-%d %H:%M}"),
            )
            connection.execute(
                "INSERT INTO messages (reference, visit_key, visit_starts_at, client_id, salon_id, to_e164, text, "
                "state, created_at, sent_at, updated_at) VALUES (?, ?, ?, ?, 's1', ?, 'x', 'sent', ?, ?, ?)",
                (f"r{index}", f"s1/{client_id}/{starts:%Y-%m-%d}", f"{starts:%Y-%m-%d %H:%M}", client_id, number,
                 "2026-12-02T08:00:00+00:00", "2026-12-02T08:00:00+00:00", stamp),
            )
    mirror.close()


def make_replies(count: int, clients: int) -> list[InboundSms]:
    chooser = random.Random(4)
    received = NOW - timedelta(hours=1)
    return [
        InboundSms(f"in-{index}", f"+4179{chooser.randrange(clients):07d}", chooser.choice(REPLY_TEXTS), received)
        for index in range(count)
    ]


def time_baseline(path: Path, replies: list[InboundSms]) -> float:
    """Insert the same replies without classifying or matching them."""
    mirror = Mirror(path)
    started = time.perf_counter()
    with mirror.transaction() as connection:
        connection.executemany(
            "INSERT INTO replies (provider, provider_id, from_e164, text, received_at, reply_class) "
            "VALUES ('baseline', ?, ?, ?, ?, 'unclear')",
            [(reply.provider_id, reply.from_number, reply.text, reply.received_at.isoformat()) for reply in replies],
        )
    elapsed = time.perf_counter() - started
    with mirror.transaction() as connection:
        connection.execute("DELETE FROM replies WHERE provider = 'baseline'")
    mirror.close()
    return elapsed


def median_time(action, repeats: int = 5) -> float:
    """Return the median time of ``action`` after one untimed warm-up call."""
    action()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def time_fetch(path: Path, replies: list[InboundSms]) -> tuple[float, FetchSummary]:
    mirror = Mirror(path)
    started = time.perf_counter()
    summary = fetch_replies(mirror, ListGateway(replies), now=NOW)
    elapsed = time.perf_counter() - started
    mirror.close()
    return elapsed, summary


def run(quick: bool) -> list[Result]:
    clients, count = (500, 200) if quick else (4000, 2000)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mirror.sqlite"
        build_mirror(path, clients)
        replies = make_replies(count, clients)
        baseline = time_baseline(path, replies)
        fetched, summary = time_fetch(path, replies)

        routine = Routine(Config(actor="bench"), path, lambda: ListGateway([]), clock=lambda: NOW)
        one_day = median_time(lambda: routine.rows_for_day(NOW.date() + timedelta(days=1)))
        counting = median_time(routine.attention)
        attention = routine.attention()
        routine.close()

    per_reply_ms = fetched / count * 1000
    fetch_ratio = fetched / baseline
    attention_ratio = counting / one_day
    return [
        Result(
            "fetch, classify and match replies",
            fetch_ratio,
            "x baseline",
            "< 50",
            fetch_ratio < 50,
            f"{count} replies, {clients} visits: {fetched:.3f} s ({per_reply_ms:.2f} ms per reply) against "
            f"{baseline:.4f} s for plain inserts; {summary.matched} matched, {summary.unassigned} unassigned",
        ),
        Result(
            "attention counts over all coming days",
            attention_ratio,
            "x one day's list",
            "< 7",
            attention_ratio < 7,
            f"median {counting:.3f} s against {one_day:.3f} s for one day of {clients // 5} visits, "
            "with answers on 5 days; "
            f"{attention.unclear} unclear, {attention.declined} declined, {attention.unassigned} unassigned",
        ),
    ]
