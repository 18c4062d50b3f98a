"""Sending: messages to a fake Twilio that responds after 100 ms, limited to 50 messages per second.

The sender (bounded concurrency, token bucket, one claim and one mark per
message in the SQLite outbox) should finish within 1.1 times the ideal time
of count / 50 s. The baseline is a plain sequential loop of
``gateway.send`` calls over the same fake in the same run, timed on a
subset and extrapolated, because a full sequential run takes 100 ms per
message.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from bench.common import Result
from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.gateway.base import OutgoingSms
from smsconfirm_tui.gateway.fakes import FakeTwilio
from smsconfirm_tui.gateway.twilio import TwilioGateway
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.sending.sender import Sender
from smsconfirm_tui.store.mirror import Mirror

LATENCY = 0.1  # seconds the fake waits before it responds to a send
RATE_LIMIT = 50.0  # messages per second
CONCURRENCY = 8  # more than LATENCY * RATE_LIMIT requests must be in flight to reach the limit
TARGET_RATIO = 1.1
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZURICH)
DAY = date(2026, 12, 5)


def run(quick: bool) -> list[Result]:
    count = 250 if quick else 5000
    baseline_count = 20 if quick else 100
    with tempfile.TemporaryDirectory() as folder, FakeTwilio(latency=LATENCY) as fake:
        mirror = Mirror(Path(folder) / "mirror.sqlite")
        try:
            ids = _fill_outbox(mirror, count)
            gateway = TwilioGateway(fake.account_sid, fake.auth_token, from_number="+41445550000",
                                    base_url=fake.url, timeout=10)
            try:
                sequential = _sequential(gateway, baseline_count) * count / baseline_count
                sender = Sender(mirror, gateway, sender_id="bench", clock=lambda: NOW,
                                concurrency=CONCURRENCY, rate_limit=RATE_LIMIT)
                cpu_start = time.process_time()
                started = time.perf_counter()
                summary = sender.send(ids)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu_start
            finally:
                gateway.close()
        finally:
            mirror.close()

    ideal = count / RATE_LIMIT
    ratio = elapsed / ideal
    sent = summary.progress.sent
    detail = (f"{count} messages, {sent} sent, {elapsed:.1f} s against the ideal {ideal:.1f} s; "
              f"concurrency {CONCURRENCY}, fake latency {LATENCY * 1000:.0f} ms")
    return [
        Result("sender time / ideal time at 50 msg/s", round(ratio, 3), "x ideal", f"<= {TARGET_RATIO}",
               ratio <= TARGET_RATIO and sent == count, detail),
        Result("sender time / sequential loop time", round(elapsed / sequential, 3), "x baseline", "< 1.0",
               elapsed < sequential,
               f"sequential {sequential:.1f} s, extrapolated from {baseline_count} messages"),
        Result("CPU time per message (whole process)", round(cpu / count * 1000, 3), "ms", "-", True,
               f"{cpu:.2f} s CPU for {count} messages, fake server threads included"),
    ]


def _fill_outbox(mirror: Mirror, count: int) -> list[int]:
    """Write one salon, ``count`` clients with one visit each, and queue one message per visit."""
    with mirror.transaction() as connection:
        connection.execute("INSERT INTO salons (id, name, phone, canton, sender) "
                           "VALUES ('S1', 'Coiffure Bench', '044 000 00 00', 'ZH', 'Bench')")
        for number in range(count):
            client_id = f"K{number:05d}"
            starts_at = f"{DAY.isoformat()} {8 + number % 10:02d}:{(number * 5) % 60:02d}"
            connection.execute("INSERT INTO clients (id, first_name, phone_e164, confirm_sms) VALUES (?, ?, ?, 1)",
                               (client_id, f"Client {number}", f"+417900{number:05d}"))
            connection.execute(
                "INSERT INTO appointments (id, client_id, salon_id, starts_at, status) VALUES (?, ?, 'S1', ?, 'booked')",
                (f"A{number:05d}", client_id, starts_at),
            )
    items = []
    for number in range(count):
        starts_at = datetime.strptime(f"{DAY.isoformat()} {8 + number % 10:02d}:{(number * 5) % 60:02d}",
                                      "%Y-%m-%d %H:%M")
        items.append(outbox.OutboxItem(f"S1/K{number:05d}/{DAY.isoformat()}", starts_at, f"K{number:05d}", "S1",
                                       f"+417900{number:05d}", f"Hallo Client {number}, J oder N?", "Bench"))
    return outbox.enqueue(mirror, items, actor="bench", now=NOW, provider="twilio")


def _sequential(gateway: TwilioGateway, count: int) -> float:
    started = time.perf_counter()
    for number in range(count):
        gateway.send(OutgoingSms(f"seq{number}", f"+417910{number:05d}", "Hallo, J oder N?", "Bench"))
    return time.perf_counter() - started
