"""Outbox rules with the sender against the fake Twilio gateway over real HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from smsconfirm_tui.config import Config, GatewayConfig
from smsconfirm_tui.domain.sms_text import segment_info
from smsconfirm_tui.domain.status import MessageState, VisitStatus
from smsconfirm_tui.gateway.factory import build_gateway
from smsconfirm_tui.gateway.fakes import FakeTwilio
from smsconfirm_tui.routine import Routine, SendRefused
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.sending.ratelimit import TokenBucket
from smsconfirm_tui.sending.sender import Sender

from conftest import NOW

OUR_NUMBER = "+41445550000"


class FakeTime:
    """A monotonic clock that only moves when the sender sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


def twilio_routine(demo, fake: FakeTwilio, *, now: datetime = NOW, timeout: float = 5.0, **gateway) -> Routine:
    settings = GatewayConfig(kind="twilio", url=fake.url, username=fake.account_sid, token=fake.auth_token,
                             from_number=OUR_NUMBER, timeout=timeout, rate_limit=200, **gateway)
    config = replace(Config(actor="test-user"), gateway=settings)
    return Routine(config, demo.routine.mirror_path, lambda: build_gateway(settings), clock=lambda: now)


def queue_due(routine: Routine, count: int) -> list[int]:
    """Write the first ``count`` due messages to the outbox and return their ids."""
    plan = routine.plan_send(routine.rows_due())
    assert plan.count >= count
    rows = plan.rows[:count]
    items = [
        outbox.OutboxItem(row.key, row.visit.starts_at, row.client.id, row.salon.id, row.client.phone_e164 or "",
                          text, routine.sender_name(row))
        for row, text in zip(rows, plan.texts)
    ]
    return outbox.enqueue(routine.mirror, items, actor="test-user", now=routine.now(), provider="twilio")


def make_sender(routine: Routine, gateway, fake_time: FakeTime | None = None, **options) -> Sender:
    timing = {"sleep": fake_time.sleep, "monotonic": fake_time.monotonic} if fake_time else {}
    return Sender(routine.mirror, gateway, sender_id="test", clock=routine.now, **timing, **options)


def states(routine: Routine, ids: list[int]) -> list[str]:
    marks = ",".join("?" * len(ids))
    return [row[0] for row in routine.mirror.connection.execute(
        f"SELECT state FROM messages WHERE id IN ({marks}) ORDER BY id", ids)]


def test_503_every_time_fails_after_4(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    fake.inject("status", count=10, status=503)
    fake_time = FakeTime()
    with build_gateway(routine.config.gateway) as gateway:
        summary = make_sender(routine, gateway, fake_time).send(ids)
    message = routine.mirror.connection.execute("SELECT * FROM messages WHERE id = ?", ids).fetchone()
    assert message["state"] == MessageState.FAILED
    assert message["attempts"] == 4
    assert "gave up after 4 attempts" in message["error"]
    assert fake_time.sleeps == [0.5, 1.0, 2.0]
    assert fake.requests[f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"] >= 4
    assert fake.accepted == []
    assert summary.progress.failed == 1


def test_failed_send_visible_to_staff(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    fake.inject("status", count=10, status=503)
    with build_gateway(routine.config.gateway) as gateway:
        make_sender(routine, gateway, FakeTime()).send(ids)
    failed = [row for row in routine.rows_due() if row.message is not None and row.message.id == ids[0]]
    assert failed[0].status is VisitStatus.FAILED
    assert "503" in (failed[0].message.error or "")


@pytest.mark.parametrize("value", ["120", "http-date"])
def test_retry_after_waits_120_s(demo, fake, value: str) -> None:
    from datetime import timezone
    from email.utils import format_datetime

    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    header = value if value == "120" else format_datetime(
        datetime.now(timezone.utc) + timedelta(seconds=120), usegmt=True)
    fake.inject("retry_after", retry_after=header)
    fake_time = FakeTime()
    with build_gateway(routine.config.gateway) as gateway:
        summary = make_sender(routine, gateway, fake_time).send(ids)
    assert states(routine, ids) == [MessageState.SENT]
    assert len(summary.waits) == 1
    assert 118 <= summary.waits[0] <= 120
    assert len(fake.accepted) == 1


def test_retry_after_invalid_uses_backoff(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    fake.inject("retry_after", retry_after="-5")
    with build_gateway(routine.config.gateway) as gateway:
        summary = make_sender(routine, gateway, FakeTime()).send(ids)
    assert summary.waits == [0.5]
    assert states(routine, ids) == [MessageState.SENT]


def test_stalled_accept_sends_exactly_one(demo, fake) -> None:
    routine = twilio_routine(demo, fake, timeout=0.3)
    ids = queue_due(routine, 1)
    fake.inject("accept_then_stall", seconds=1.5)
    with build_gateway(routine.config.gateway) as gateway:
        make_sender(routine, gateway, FakeTime()).send(ids)
    assert states(routine, ids) == [MessageState.SENT]
    assert len(fake.accepted) == 1
    # A second send of the same visits sends nothing more.
    plan = routine.plan_send(routine.rows_due())
    assert all(row.message is None or row.message.id not in ids for row in plan.rows)


def test_reset_stays_unknown_until_reconcile(demo, fake, monkeypatch) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    fake.inject("reset")
    with build_gateway(routine.config.gateway) as gateway:
        make_sender(routine, gateway, FakeTime()).send(ids)
        assert states(routine, ids) == [MessageState.UNKNOWN]
        assert outbox.queued_for_visits(routine.mirror, [routine.mirror.connection.execute(
            "SELECT visit_key FROM messages WHERE id = ?", ids).fetchone()[0]]) == []
        assert fake.accepted == []

    # The lease runs on the real clock; a zero lease stands for the minutes
    # a real second run would come later.
    monkeypatch.setenv(outbox.LEASE_ENV_VAR, "0")
    later = twilio_routine(demo, fake, now=NOW + timedelta(minutes=5))
    assert later.reconcile() == 1
    assert states(later, ids) == [MessageState.QUEUED]
    with build_gateway(later.config.gateway) as gateway:
        make_sender(later, gateway).send(ids)
    assert states(later, ids) == [MessageState.SENT]
    assert len(fake.accepted) == 1


def test_503_then_accept_retries_once_more(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    fake.inject("status", count=1, status=503)
    with build_gateway(routine.config.gateway) as gateway:
        make_sender(routine, gateway, FakeTime()).send(ids)
    assert states(routine, ids) == [MessageState.SENT]
    assert len(fake.accepted) == 1


def test_unsubscribed_client_opted_out(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    client_id, number = routine.mirror.connection.execute(
        "SELECT client_id, to_e164 FROM messages WHERE id = ?", ids).fetchone()
    fake.unsubscribed.add(number)
    with build_gateway(routine.config.gateway) as gateway:
        summary = make_sender(routine, gateway, FakeTime()).send(ids)
    assert states(routine, ids) == [MessageState.FAILED]
    assert summary.waits == []
    assert routine.client(client_id).opted_out
    assert all(row.client.id != client_id for row in routine.plan_send(routine.rows_due()).rows)
    actions = [entry["action"] for entry in routine.mirror.audit_entries(client_id)]
    assert "opt_out" in actions


def test_invalid_number_not_retried(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    number = routine.mirror.connection.execute("SELECT to_e164 FROM messages WHERE id = ?", ids).fetchone()[0]
    fake.invalid.add(number)
    with build_gateway(routine.config.gateway) as gateway:
        summary = make_sender(routine, gateway, FakeTime()).send(ids)
    assert states(routine, ids) == [MessageState.FAILED]
    assert summary.waits == []
    assert "invalid phone number" in summary.errors[0]


def test_cancelled_visit_dropped_before_request(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    ids = queue_due(routine, 1)
    visit_key = routine.mirror.connection.execute("SELECT visit_key FROM messages WHERE id = ?", ids).fetchone()[0]
    salon_id, client_id, day = visit_key.split("/")
    with routine.mirror.transaction() as connection:
        connection.execute("UPDATE appointments SET status = 'cancelled' WHERE client_id = ? AND salon_id = ? "
                           "AND starts_at LIKE ?", (client_id, salon_id, f"{day}%"))
    with build_gateway(routine.config.gateway) as gateway:
        summary = make_sender(routine, gateway).send(ids)
    assert states(routine, ids) == [MessageState.DROPPED]
    assert summary.progress.dropped == 1
    assert fake.accepted == []


def test_concurrency_is_bounded(demo) -> None:
    with FakeTwilio(latency=0.05) as fake:
        routine = twilio_routine(demo, fake)
        ids = queue_due(routine, 12)
        with build_gateway(routine.config.gateway) as gateway:
            make_sender(routine, gateway, concurrency=3).send(ids)
    assert fake.max_in_flight <= 3
    assert fake.max_in_flight >= 2
    assert len(fake.accepted) == 12


def test_token_bucket_spaces_requests() -> None:
    fake_time = FakeTime()
    bucket = TokenBucket(4.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.25, 0.25, 0.25]


def test_token_bucket_allows_burst() -> None:
    fake_time = FakeTime()
    bucket = TokenBucket(10.0, burst=3, clock=fake_time.monotonic, sleep=fake_time.sleep)
    fake_time.now += 10
    waits = [bucket.acquire() for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.1)


def test_cancel_keeps_rest_queued(demo, fake) -> None:
    routine = twilio_routine(demo, fake, concurrency=1)
    plan = routine.plan_send(routine.rows_due())
    seen: list[int] = []
    summary = routine.send(plan, on_progress=lambda progress: seen.append(progress.done),
                           is_cancelled=lambda: len(seen) >= 2)
    assert summary.progress.sent == 2
    queued = routine.mirror.connection.execute("SELECT COUNT(*) FROM messages WHERE state = 'queued'").fetchone()[0]
    assert queued == plan.count - 2

    # The next send picks up what was left, and nothing goes out twice.
    again = routine.plan_send(routine.rows_due())
    assert again.count == plan.count - 2
    routine.send(again)
    assert len(fake.accepted) == plan.count
    assert max(fake.accepted_per_recipient_text().values()) == 1


def test_outside_hours_refused_then_override_audited(demo, fake) -> None:
    evening = NOW.replace(hour=20, minute=30)
    routine = twilio_routine(demo, fake, now=evening)
    plan = routine.plan_send(routine.rows_due())
    assert plan.outside_hours
    with pytest.raises(SendRefused, match="sending hours"):
        routine.send(plan)
    assert fake.accepted == []
    routine.send(plan, override_hours=True)
    assert len(fake.accepted) == plan.count
    actions = [entry["action"] for entry in routine.mirror.audit_entries()]
    assert "send_outside_hours" in actions


def test_sunday_is_outside_default_hours(demo, fake) -> None:
    sunday = NOW + timedelta(days=2)
    routine = twilio_routine(demo, fake, now=sunday.replace(hour=10))
    rows = routine.rows_for_day(NOW.date() + timedelta(days=3))
    plan = routine.plan_send(rows)
    assert plan.count > 0
    assert plan.outside_hours


def test_delivery_reports_stored_on_row(demo, fake) -> None:
    routine = twilio_routine(demo, fake)
    plan = routine.plan_send(routine.rows_due())
    fake.unreachable.add(plan.rows[0].client.phone_e164)
    routine.send(plan)
    assert routine.fetch_deliveries() == plan.count
    rows = {row.key: row for row in routine.rows_due()}
    first = rows[plan.rows[0].key]
    second = rows[plan.rows[1].key]
    assert first.message.delivery == "failed"
    assert "30003" in (first.message.error or "")
    assert second.message.delivery == "delivered"
    assert routine.fetch_deliveries() == 0


def test_plan_counts_segments_and_cost(demo, fake) -> None:
    routine = twilio_routine(demo, fake, price_per_segment=0.10, max_segments=1)
    plan = routine.plan_send(routine.rows_due())
    counts = [segment_info(text).segments for text in plan.texts]
    assert plan.segments == sum(counts)
    assert plan.cost == pytest.approx(plan.segments * 0.10)
    assert plan.long_messages == sum(1 for count in counts if count > 1)
    assert plan.long_messages > 0
    assert plan.supports_replies


def test_unknown_settled_before_lease_when_accepted(tmp_path):
    """An unknown message the gateway has is marked sent at once; one it lacks waits for the lease."""
    from datetime import datetime, timedelta

    from smsconfirm_tui.domain.calendar import ZURICH
    from smsconfirm_tui.domain.status import MessageState
    from smsconfirm_tui.gateway.base import DeliveryReport, DeliveryState
    from smsconfirm_tui.sending import outbox
    from smsconfirm_tui.sending.sender import reconcile
    from smsconfirm_tui.store.mirror import Mirror

    class Lookup:
        name = "fake"

        def __init__(self, known):
            self.known = known

        def delivery_report(self, reference, lookup=None):
            state = DeliveryState.ACCEPTED if reference in self.known else DeliveryState.NOT_FOUND
            return DeliveryReport(reference, state, provider_id="p1" if reference in self.known else None)

    now = datetime(2026, 12, 4, 9, 0, tzinfo=ZURICH)
    mirror = Mirror(tmp_path / "mirror.sqlite")
    items = [
        outbox.OutboxItem(f"S1/K{i}/2026-12-05", datetime(2026, 12, 5, 10), f"K{i}", "S1", f"+4179000000{i}", "Hallo", "Salon")
        for i in (1, 2)
    ]
    ids = outbox.enqueue(mirror, items, actor="test", now=now, provider="fake")
    for message in outbox.claim(mirror, ids, sender_id="test", now=now):
        outbox.mark(mirror, message.id, MessageState.UNKNOWN, now=now, error="timed out")
    first, second = (mirror.connection.execute("SELECT reference FROM messages WHERE id = ?", (i,)).fetchone()[0] for i in ids)

    # The lease runs on the real clock, whatever time the routine pretends.
    claimed = outbox.wall_now()
    assert reconcile(mirror, Lookup({first}), now=now, wall=claimed + timedelta(seconds=30)) == 1
    states = [row[0] for row in mirror.connection.execute("SELECT state FROM messages ORDER BY id")]
    assert states == ["sent", "unknown"]

    assert reconcile(mirror, Lookup({first}), now=now, wall=claimed + outbox.CLAIM_LEASE + timedelta(seconds=1)) == 1
    states = [row[0] for row in mirror.connection.execute("SELECT state FROM messages ORDER BY id")]
    assert states == ["sent", "queued"]
    mirror.close()
