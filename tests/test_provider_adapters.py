"""The Twilio, eCall and ASPSMS adapters against their fakes over real HTTP on loopback."""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from smsconfirm_tui.gateway.aspsms import AspsmsGateway
from smsconfirm_tui.gateway.base import DeliveryState, OutgoingSms, SendOutcome, StatusLookup
from smsconfirm_tui.gateway.ecall import EcallGateway
from smsconfirm_tui.gateway.fakes import FakeAspsms, FakeEcall, FakeTwilio
from smsconfirm_tui.gateway.twilio import TwilioGateway

OUR_NUMBER = "+41445550000"
CLIENT = "+41790000012"


def sms(reference: str = "ref0001", to: str = CLIENT, text: str = "Hallo Anna, J oder N?") -> OutgoingSms:
    return OutgoingSms(reference=reference, to=to, text=text, sender="Salon Anna")


def make_twilio(fake: FakeTwilio, timeout: float = 5.0) -> TwilioGateway:
    return TwilioGateway(fake.account_sid, fake.auth_token, from_number=OUR_NUMBER, base_url=fake.url,
                         timeout=timeout)


def make_ecall(fake: FakeEcall, timeout: float = 5.0) -> EcallGateway:
    return EcallGateway(fake.username, fake.password, from_number=OUR_NUMBER, base_url=fake.url, timeout=timeout)


def make_aspsms(fake: FakeAspsms, timeout: float = 5.0) -> AspsmsGateway:
    return AspsmsGateway(fake.userkey, fake.password, base_url=fake.url, timeout=timeout)


PROVIDERS = {
    "twilio": (FakeTwilio, make_twilio),
    "ecall": (FakeEcall, make_ecall),
    "aspsms": (FakeAspsms, make_aspsms),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request):
    fake_class, make = PROVIDERS[request.param]
    fake = fake_class()
    fake.start()
    gateway = make(fake)
    yield fake, gateway, make
    gateway.close()
    fake.stop()


def test_send_accepted_once(provider) -> None:
    fake, gateway, _ = provider
    result = gateway.send(sms())
    assert result.outcome is SendOutcome.ACCEPTED
    assert len(fake.accepted) == 1
    assert fake.accepted[0].to == CLIENT
    assert fake.accepted[0].text == "Hallo Anna, J oder N?"


def test_delivery_report_delivered(provider) -> None:
    fake, gateway, _ = provider
    result = gateway.send(sms())
    lookup = StatusLookup(provider_id=result.provider_id, to=CLIENT, text=sms().text,
                          claimed_at=datetime.now(timezone.utc))
    report = gateway.delivery_report("ref0001", lookup)
    assert report.state is DeliveryState.DELIVERED


def test_delivery_report_not_found(provider) -> None:
    _, gateway, _ = provider
    lookup = StatusLookup(to=CLIENT, text="never sent", claimed_at=datetime.now(timezone.utc))
    assert gateway.delivery_report("missing", lookup).state is DeliveryState.NOT_FOUND


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [("120", 120, 120), ("http-date", 118, 120), ("past-date", 0, 0)],
)
def test_429_retry_after(provider, header: str, low: float, high: float) -> None:
    fake, gateway, _ = provider
    now = datetime.now(timezone.utc)
    value = {
        "120": "120",
        "http-date": format_datetime(now + timedelta(seconds=120), usegmt=True),
        "past-date": format_datetime(now - timedelta(seconds=60), usegmt=True),
    }[header]
    fake.inject("retry_after", retry_after=value)
    result = gateway.send(sms())
    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after is not None
    assert low <= result.retry_after <= high
    assert fake.accepted == []


def test_429_negative_retry_after_falls_back(provider) -> None:
    fake, gateway, _ = provider
    fake.inject("retry_after", retry_after="-5")
    result = gateway.send(sms())
    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after is None


def test_503_is_unknown_but_answered(provider) -> None:
    fake, gateway, _ = provider
    fake.inject("status", status=503)
    result = gateway.send(sms())
    assert result.outcome is SendOutcome.UNKNOWN
    assert result.answered
    assert "HTTP 503" in (result.error or "")


def test_reset_is_unknown_not_answered(provider) -> None:
    fake, gateway, _ = provider
    fake.inject("reset")
    result = gateway.send(sms())
    assert result.outcome is SendOutcome.UNKNOWN
    assert not result.answered


def test_stall_after_accept_is_unknown(provider) -> None:
    fake, _, make = provider
    gateway = make(fake, timeout=0.3)
    fake.inject("accept_then_stall", seconds=1.0)
    try:
        result = gateway.send(sms())
    finally:
        gateway.close()
    assert result.outcome is SendOutcome.UNKNOWN
    assert len(fake.accepted) == 1


def test_garbled_body_is_unknown(provider) -> None:
    fake, gateway, _ = provider
    fake.inject("garbled")
    result = gateway.send(sms())
    assert result.outcome is SendOutcome.UNKNOWN
    assert result.answered
    assert len(fake.accepted) == 1


def test_closed_port_is_retry(provider) -> None:
    _, _, make = provider
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Closed:
        url = f"http://127.0.0.1:{port}"
        account_sid, auth_token = "AC" + "0" * 32, "t"
        username, password, userkey = "u", "p", "k"

    gateway = make(Closed())
    try:
        result = gateway.send(sms())
    finally:
        gateway.close()
    assert result.outcome is SendOutcome.RETRY


def test_wrong_credentials_rejected_without_secret(provider, caplog) -> None:
    fake, _, _ = provider
    secret = "wrong-secret-value-123"
    if isinstance(fake, FakeTwilio):
        gateway = TwilioGateway(fake.account_sid, secret, from_number=OUR_NUMBER, base_url=fake.url)
    elif isinstance(fake, FakeEcall):
        gateway = EcallGateway(fake.username, secret, base_url=fake.url)
    else:
        gateway = AspsmsGateway(fake.userkey, secret, base_url=fake.url)
    caplog.set_level(logging.DEBUG)
    try:
        result = gateway.send(sms())
    finally:
        gateway.close()
    assert result.outcome is SendOutcome.REJECTED
    assert "authentication failed" in (result.error or "")
    assert secret not in (result.error or "")
    assert secret not in repr(gateway)
    assert secret not in caplog.text


def test_twilio_unsubscribed_opts_out() -> None:
    with FakeTwilio() as fake:
        fake.unsubscribed.add(CLIENT)
        with make_twilio(fake) as gateway:
            result = gateway.send(sms())
    assert result.outcome is SendOutcome.REJECTED
    assert result.opted_out
    assert "21610" in (result.error or "")


def test_twilio_invalid_number_rejected() -> None:
    with FakeTwilio() as fake:
        fake.invalid.add(CLIENT)
        with make_twilio(fake) as gateway:
            result = gateway.send(sms())
    assert result.outcome is SendOutcome.REJECTED
    assert not result.opted_out
    assert "invalid phone number" in (result.error or "")


def test_twilio_finds_message_by_listing() -> None:
    with FakeTwilio() as fake, make_twilio(fake) as gateway:
        claimed_at = datetime.now(timezone.utc)
        gateway.send(sms(text="other text"))
        sent = gateway.send(sms())
        report = gateway.delivery_report("ref0001", StatusLookup(to=CLIENT, text=sms().text,
                                                                 claimed_at=claimed_at))
    assert report.state is DeliveryState.DELIVERED
    assert report.provider_id == sent.provider_id


def test_twilio_listing_ignores_older_messages() -> None:
    with FakeTwilio() as fake, make_twilio(fake) as gateway:
        gateway.send(sms())
        later = datetime.now(timezone.utc) + timedelta(minutes=10)
        report = gateway.delivery_report("ref0001", StatusLookup(to=CLIENT, text=sms().text, claimed_at=later))
    assert report.state is DeliveryState.NOT_FOUND


def test_twilio_undelivered_maps_to_failed() -> None:
    with FakeTwilio() as fake, make_twilio(fake) as gateway:
        fake.unreachable.add(CLIENT)
        sent = gateway.send(sms())
        report = gateway.delivery_report("ref0001", StatusLookup(provider_id=sent.provider_id))
    assert report.state is DeliveryState.FAILED
    assert "30003" in (report.error or "")


def test_twilio_fetches_inbound_replies() -> None:
    with FakeTwilio() as fake, make_twilio(fake) as gateway:
        gateway.send(sms())
        fake.add_inbound(CLIENT, OUR_NUMBER, "Ja gerne")
        fake.add_inbound("+41790000099", "+41440000000", "to another number")
        batch = gateway.fetch_replies(None)
        again = gateway.fetch_replies(batch.cursor)
    assert [reply.text for reply in batch.replies] == ["Ja gerne"]
    assert batch.replies[0].from_number == CLIENT
    assert [reply.provider_id for reply in again.replies] == [batch.replies[0].provider_id]


def test_twilio_without_number_has_no_replies() -> None:
    with FakeTwilio() as fake:
        gateway = TwilioGateway(fake.account_sid, fake.auth_token, base_url=fake.url)
        with gateway:
            result = gateway.send(sms())
    assert not gateway.supports_replies
    assert result.outcome is SendOutcome.ACCEPTED
    assert fake.accepted[0].sender == "Salon Anna"


def test_ecall_error_inside_200_rejected() -> None:
    with FakeEcall(errors_as_200=True) as fake, make_ecall(fake) as gateway:
        result = gateway.send(sms(to="+4179"))
    assert result.outcome is SendOutcome.REJECTED
    assert "11100" in (result.error or "")


def test_ecall_sends_job_id_and_zero_prefixed_number() -> None:
    with FakeEcall() as fake, make_ecall(fake) as gateway:
        gateway.send(sms(reference="job-42"))
    assert fake.accepted[0].reference == "job-42"
    assert fake.accepted[0].to == CLIENT


def test_ecall_reads_message_cache() -> None:
    with FakeEcall() as fake, make_ecall(fake) as gateway:
        fake.add_inbound(CLIENT, OUR_NUMBER, "N, leider nicht")
        fake.add_inbound("+41790000013", OUR_NUMBER, "J")
        batch = gateway.fetch_replies(None)
        remaining = fake.cached_count()
    assert [reply.text for reply in batch.replies] == ["N, leider nicht", "J"]
    assert batch.replies[0].from_number == CLIENT
    assert batch.replies[0].received_at.tzinfo is not None
    assert remaining == 0


def test_aspsms_error_inside_200_rejected() -> None:
    with FakeAspsms() as fake, make_aspsms(fake) as gateway:
        result = gateway.send(sms(to="+4179"))
    assert result.outcome is SendOutcome.REJECTED
    assert "Invalid recipient" in (result.error or "")


def test_aspsms_sends_reference_per_recipient() -> None:
    with FakeAspsms() as fake, make_aspsms(fake) as gateway:
        gateway.send(sms(reference="abc123"))
        fake.unreachable.add("+41790000013")
        gateway.send(sms(reference="abc124", to="+41790000013"))
        failed = gateway.delivery_report("abc124")
    assert fake.accepted[0].reference == "abc123"
    assert failed.state is DeliveryState.FAILED


def test_aspsms_has_no_replies() -> None:
    with FakeAspsms() as fake, make_aspsms(fake) as gateway:
        batch = gateway.fetch_replies(None)
    assert not gateway.supports_replies
    assert batch.replies == []
