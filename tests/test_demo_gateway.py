"""The demo gateway server and its httpx client, over real loopback HTTP."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsconfirm_tui.cli import build_parser
from smsconfirm_tui.gateway.base import (
    DeliveryState,
    GatewayError,
    OutgoingSms,
    SendOutcome,
)
from smsconfirm_tui.gateway.demo import DemoGateway
from smsconfirm_tui.gateway.demo_server import DemoGatewayServer
from smsconfirm_tui.gateway.demo_state import NO_REPLIES, UNCLEAR_REPLIES, YES_REPLIES, plan_reply

TOKEN = "s3cret-demo-token"
OPTED_OUT = "+41790000099"
REPLY_DELAY = 0.3


def make_sms(reference: str = "visit-1", to: str = "+41791234512", text: str = "Termin morgen 10:00") -> OutgoingSms:
    return OutgoingSms(reference=reference, to=to, text=text, sender="SalonDemo")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DemoGatewayServer]:
    with DemoGatewayServer(
        tmp_path / "gateway.db", TOKEN, reply_delay=REPLY_DELAY, opted_out=[OPTED_OUT]
    ) as running:
        yield running


@pytest.fixture
def gateway(server: DemoGatewayServer) -> Iterator[DemoGateway]:
    with DemoGateway(server.url, TOKEN, timeout=5.0) as client:
        yield client


@pytest.fixture
def admin(server: DemoGatewayServer) -> Iterator[httpx.Client]:
    """A plain client for the test endpoints /v1/_stats and /v1/_faults."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers, trust_env=False) as client:
        yield client


def add_fault(admin: httpx.Client, **fault: Any) -> None:
    response = admin.post("/v1/_faults", json=fault)
    assert response.status_code == 201, response.text


def stats(admin: httpx.Client) -> dict[str, Any]:
    response = admin.get("/v1/_stats")
    assert response.status_code == 200
    return response.json()


def wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def references_with_reply(count: int, seed: int = 1) -> list[str]:
    """Return ``count`` references whose scripted reply exists for ``seed``."""
    references = [f"visit-{index}" for index in range(200)]
    return [ref for ref in references if plan_reply(ref, seed) is not None][:count]


# --- server --------------------------------------------------------------


def test_server_rejects_other_host(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "localhost", "::1", "192.168.1.10"):
        with pytest.raises(ValueError, match="127.0.0.1"):
            DemoGatewayServer(tmp_path / "gateway.db", TOKEN, host=host)


def test_server_url_is_loopback(server: DemoGatewayServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert not server.url.endswith(":0")


def test_server_requires_token(server: DemoGatewayServer) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = httpx.get(f"{server.url}/v1/_stats", headers=headers, trust_env=False)
        assert response.status_code == 401
        assert TOKEN not in response.text


def test_server_counts_duplicate_reference(admin: httpx.Client) -> None:
    body = {"reference": "visit-1", "to": "+41791234512", "text": "Hallo", "sender": "Salon"}

    first = admin.post("/v1/messages", json=body)
    second = admin.post("/v1/messages", json=body)

    assert first.status_code == 201
    assert second.status_code == 201
    assert first.json() == second.json()
    assert first.json()["status"] == "accepted"
    assert stats(admin) == {"accepted": 2, "by_reference": {"visit-1": 2}}
    assert admin.get("/v1/messages/visit-1").json()["accepted_count"] == 2


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"reference": "r", "to": "0791234512", "text": "Hallo"}, 400, "invalid_number"),
        ({"reference": "r", "to": "+4179", "text": "Hallo"}, 400, "invalid_number"),
        ({"reference": "r", "to": "+41791234512", "text": "  "}, 400, "empty_text"),
        ({"reference": "", "to": "+41791234512", "text": "Hallo"}, 400, "invalid_request"),
        ({"reference": "r", "to": OPTED_OUT, "text": "Hallo"}, 403, "unsubscribed"),
    ],
)
def test_server_validates_message(admin: httpx.Client, body: dict[str, str], status: int, error: str) -> None:
    response = admin.post("/v1/messages", json=body)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert stats(admin)["accepted"] == 0


def test_server_rejects_bad_fault(admin: httpx.Client) -> None:
    for fault in ({"mode": "explode"}, {"mode": "status", "status": 200}, {"mode": "status", "status": 503, "count": 0}):
        response = admin.post("/v1/_faults", json=fault)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_fault"


def test_server_state_survives_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "gateway.db"
    with DemoGatewayServer(db_path, TOKEN) as first, DemoGateway(first.url, TOKEN) as client:
        assert client.send(make_sms("visit-1")).outcome is SendOutcome.ACCEPTED

    with DemoGatewayServer(db_path, TOKEN) as second, DemoGateway(second.url, TOKEN) as client:
        result = client.send(make_sms("visit-1"))
        counts = httpx.get(
            f"{second.url}/v1/_stats", headers={"Authorization": f"Bearer {TOKEN}"}, trust_env=False
        ).json()

    assert result.provider_id == "demo-000001"
    assert counts == {"accepted": 2, "by_reference": {"visit-1": 2}}


def test_server_logs_mask_phone_and_token(gateway: DemoGateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    gateway.send(make_sms(to="+41791234512"))
    DemoGateway(gateway.base_url, "wrong-token").send(make_sms())

    assert "+4179*****12" in caplog.text
    assert "+41791234512" not in caplog.text
    assert "1234512" not in caplog.text
    assert TOKEN not in caplog.text
    assert "wrong-token" not in caplog.text


# --- DemoGateway.send ----------------------------------------------------


def test_send_accepted(gateway: DemoGateway, admin: httpx.Client) -> None:
    result = gateway.send(make_sms())

    assert result.outcome is SendOutcome.ACCEPTED
    assert result.provider_id == "demo-000001"
    assert result.error is None
    assert stats(admin)["accepted"] == 1


def test_send_invalid_number(gateway: DemoGateway) -> None:
    result = gateway.send(make_sms(to="+4179"))

    assert result.outcome is SendOutcome.REJECTED
    assert result.error is not None
    assert "invalid phone number" in result.error
    assert not result.opted_out


def test_send_opted_out(gateway: DemoGateway) -> None:
    result = gateway.send(make_sms(to=OPTED_OUT))

    assert result.outcome is SendOutcome.REJECTED
    assert result.opted_out


def test_send_other_4xx_rejected(gateway: DemoGateway) -> None:
    result = gateway.send(make_sms(text=""))

    assert result.outcome is SendOutcome.REJECTED
    assert result.error is not None
    assert "HTTP 400" in result.error


def test_send_auth_failure_hides_token(server: DemoGatewayServer, admin: httpx.Client) -> None:
    bad_token = "wrong-token-value"
    with DemoGateway(server.url, bad_token) as client:
        result = client.send(make_sms())
        text = repr(client)

    assert result.outcome is SendOutcome.REJECTED
    assert result.error == "authentication failed: check the gateway token"
    assert bad_token not in text
    assert stats(admin)["accepted"] == 0


def test_repr_hides_token(gateway: DemoGateway) -> None:
    assert TOKEN not in repr(gateway)
    assert TOKEN not in str(gateway)


def test_send_503_unknown_then_normal(gateway: DemoGateway, admin: httpx.Client) -> None:
    add_fault(admin, mode="status", status=503, count=3)

    results = [gateway.send(make_sms(f"visit-{index}")) for index in range(4)]

    assert [result.outcome for result in results] == [SendOutcome.UNKNOWN] * 3 + [SendOutcome.ACCEPTED]
    assert "HTTP 503" in (results[0].error or "")
    assert stats(admin)["accepted"] == 1


def test_send_other_status_fault_rejected(gateway: DemoGateway, admin: httpx.Client) -> None:
    add_fault(admin, mode="status", status=422)

    assert gateway.send(make_sms()).outcome is SendOutcome.REJECTED


def test_send_429_seconds(gateway: DemoGateway, admin: httpx.Client) -> None:
    add_fault(admin, mode="retry_after", value="120")

    result = gateway.send(make_sms())

    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after == 120.0
    assert stats(admin)["accepted"] == 0


def test_send_429_http_date(gateway: DemoGateway, admin: httpx.Client) -> None:
    retry_at = datetime.now(timezone.utc) + timedelta(seconds=120)
    add_fault(admin, mode="retry_after", value=format_datetime(retry_at, usegmt=True))

    result = gateway.send(make_sms())

    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after is not None
    # The HTTP date has whole seconds, and the request takes a moment.
    assert 115.0 <= result.retry_after <= 120.0


def test_send_429_garbage_header(gateway: DemoGateway, admin: httpx.Client) -> None:
    add_fault(admin, mode="retry_after", value="later")

    result = gateway.send(make_sms())

    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after is None


def test_send_stall_unknown_once(server: DemoGatewayServer, admin: httpx.Client) -> None:
    add_fault(admin, mode="accept_then_stall", seconds=2)

    with DemoGateway(server.url, TOKEN, timeout=0.3) as client:
        result = client.send(make_sms())

    assert result.outcome is SendOutcome.UNKNOWN
    assert result.error is not None
    assert "ReadTimeout" in result.error
    assert TOKEN not in result.error
    assert stats(admin) == {"accepted": 1, "by_reference": {"visit-1": 1}}


def test_send_reset_unknown(gateway: DemoGateway, admin: httpx.Client) -> None:
    add_fault(admin, mode="reset")

    result = gateway.send(make_sms())

    # The request bytes went out before the connection closed, so the client cannot
    # know that the server dropped it unrecorded.
    assert result.outcome is SendOutcome.UNKNOWN
    assert stats(admin)["accepted"] == 0


def test_send_garbled_unknown(gateway: DemoGateway, admin: httpx.Client) -> None:
    add_fault(admin, mode="garbled")

    result = gateway.send(make_sms())

    assert result.outcome is SendOutcome.UNKNOWN
    assert stats(admin)["accepted"] == 1


def test_send_connection_refused_retry() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.

    with DemoGateway(f"http://127.0.0.1:{port}", TOKEN, timeout=1.0) as client:
        result = client.send(make_sms())

    assert result.outcome is SendOutcome.RETRY
    assert result.error is not None
    assert "ConnectError" in result.error
    assert TOKEN not in result.error


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (httpx.ConnectError, SendOutcome.RETRY),
        (httpx.ConnectTimeout, SendOutcome.RETRY),
        (httpx.PoolTimeout, SendOutcome.RETRY),
        (httpx.ReadTimeout, SendOutcome.UNKNOWN),
        (httpx.WriteTimeout, SendOutcome.UNKNOWN),
        (httpx.ReadError, SendOutcome.UNKNOWN),
        (httpx.WriteError, SendOutcome.UNKNOWN),
        (httpx.RemoteProtocolError, SendOutcome.UNKNOWN),
        (httpx.UnsupportedProtocol, SendOutcome.REJECTED),
    ],
)
def test_send_transport_error_mapping(error: type[httpx.TransportError], outcome: SendOutcome) -> None:
    def raise_error(request: httpx.Request) -> httpx.Response:
        raise error(f"simulated failure, token {TOKEN}", request=request)

    with DemoGateway("http://127.0.0.1:9", TOKEN, transport=httpx.MockTransport(raise_error)) as client:
        result = client.send(make_sms())

    assert result.outcome is outcome
    assert result.error is not None
    assert TOKEN not in result.error


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, SendOutcome.ACCEPTED), (302, SendOutcome.UNKNOWN), (404, SendOutcome.REJECTED), (502, SendOutcome.UNKNOWN)],
)
def test_send_status_mapping(status: int, outcome: SendOutcome) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"id": "p-1", "status": "accepted"})

    with DemoGateway("http://127.0.0.1:9", TOKEN, transport=httpx.MockTransport(respond)) as client:
        assert client.send(make_sms()).outcome is outcome


def test_send_2xx_without_id_unknown() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=["not", "an", "object"])

    with DemoGateway("http://127.0.0.1:9", TOKEN, transport=httpx.MockTransport(respond)) as client:
        assert client.send(make_sms()).outcome is SendOutcome.UNKNOWN


# --- delivery reports ----------------------------------------------------


def test_delivery_report_accepted_then_delivered(gateway: DemoGateway) -> None:
    gateway.send(make_sms("visit/1 ä"))

    first = gateway.delivery_report("visit/1 ä")
    wait_for(lambda: gateway.delivery_report("visit/1 ä").state is DeliveryState.DELIVERED)

    assert first.state is DeliveryState.ACCEPTED
    assert first.provider_id == "demo-000001"


def test_delivery_report_not_found(gateway: DemoGateway) -> None:
    report = gateway.delivery_report("never-sent")

    assert report.state is DeliveryState.NOT_FOUND
    assert report.provider_id is None


def test_delivery_report_errors(gateway: DemoGateway, admin: httpx.Client) -> None:
    gateway.send(make_sms())
    add_fault(admin, mode="status", status=503)
    add_fault(admin, mode="garbled")

    with pytest.raises(GatewayError, match="HTTP 503"):
        gateway.delivery_report("visit-1")
    with pytest.raises(GatewayError, match="unreadable"):
        gateway.delivery_report("visit-1")


def test_delivery_report_auth_failure(server: DemoGatewayServer) -> None:
    with DemoGateway(server.url, "wrong-token") as client:
        with pytest.raises(GatewayError, match="check the gateway token") as caught:
            client.delivery_report("visit-1")

    assert "wrong-token" not in str(caught.value)


def test_delivery_report_unreachable() -> None:
    with DemoGateway("http://127.0.0.1:9", TOKEN, transport=httpx.MockTransport(_refuse)) as client:
        with pytest.raises(GatewayError, match="ConnectError") as caught:
            client.delivery_report("visit-1")

    assert TOKEN not in str(caught.value)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"refused, token {TOKEN}", request=request)


# --- replies -------------------------------------------------------------


def test_replies_visible_after_delay(gateway: DemoGateway) -> None:
    references = references_with_reply(3)
    for index, reference in enumerate(references):
        gateway.send(make_sms(reference, to=f"+4179123450{index}"))

    early = gateway.fetch_replies()
    time.sleep(REPLY_DELAY + 0.1)
    batch = gateway.fetch_replies()

    assert early.replies == []
    assert [reply.from_number for reply in batch.replies] == [f"+4179123450{index}" for index in range(3)]
    assert [reply.text for reply in batch.replies] == [plan_reply(ref, 1).text for ref in references]  # type: ignore[union-attr]
    for reply in batch.replies:
        assert reply.received_at.tzinfo is not None
        assert abs(reply.received_at - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_replies_cursor_returns_nothing_twice(gateway: DemoGateway) -> None:
    first_refs = references_with_reply(4)
    for reference in first_refs[:2]:
        gateway.send(make_sms(reference))
    time.sleep(REPLY_DELAY + 0.1)

    first = gateway.fetch_replies()
    again = gateway.fetch_replies(first.cursor)
    for reference in first_refs[2:]:
        gateway.send(make_sms(reference))
    time.sleep(REPLY_DELAY + 0.1)
    later = gateway.fetch_replies(first.cursor)
    last = gateway.fetch_replies(later.cursor)

    assert len(first.replies) == 2
    assert again.replies == []
    assert again.cursor == first.cursor
    assert len(later.replies) == 2
    assert {reply.provider_id for reply in later.replies}.isdisjoint(reply.provider_id for reply in first.replies)
    assert last.replies == []


def test_replies_follow_pages(gateway: DemoGateway) -> None:
    references = references_with_reply(7)
    for reference in references:
        gateway.send(make_sms(reference))
    time.sleep(REPLY_DELAY + 0.1)
    gateway.reply_page_size = 2

    batch = gateway.fetch_replies()

    assert len(batch.replies) == 7
    assert gateway.fetch_replies(batch.cursor).replies == []


def test_replies_only_first_acceptance(gateway: DemoGateway) -> None:
    reference = references_with_reply(1)[0]
    gateway.send(make_sms(reference))
    gateway.send(make_sms(reference))
    time.sleep(REPLY_DELAY + 0.1)

    assert len(gateway.fetch_replies().replies) == 1


def test_replies_garbled_body(gateway: DemoGateway, admin: httpx.Client) -> None:
    add_fault(admin, mode="garbled")

    with pytest.raises(GatewayError, match="unreadable"):
        gateway.fetch_replies()


def test_replies_invalid_cursor(gateway: DemoGateway) -> None:
    with pytest.raises(GatewayError, match="HTTP 400"):
        gateway.fetch_replies("not-a-cursor")


def test_replies_deterministic_for_seed(tmp_path: Path) -> None:
    references = [f"visit-{index}" for index in range(12)]

    def collect(db_name: str, seed: int) -> list[tuple[str, str]]:
        with DemoGatewayServer(tmp_path / db_name, TOKEN, seed=seed) as server:
            with DemoGateway(server.url, TOKEN) as client:
                for reference in references:
                    client.send(make_sms(reference))
                return [(reply.provider_id, reply.text) for reply in client.fetch_replies().replies]

    first = collect("first.db", seed=7)
    second = collect("second.db", seed=7)
    other = collect("other.db", seed=8)

    assert first == second
    assert first != other


def test_plan_reply_mix() -> None:
    planned = [plan_reply(f"visit-{index}", 1) for index in range(2000)]
    kinds = [reply.kind if reply else "none" for reply in planned]

    # Loose bounds around 55/15/15/15 %, so the check does not depend on one hash value.
    assert 0.50 <= kinds.count("yes") / 2000 <= 0.60
    assert 0.11 <= kinds.count("no") / 2000 <= 0.19
    assert 0.11 <= kinds.count("unclear") / 2000 <= 0.19
    assert 0.11 <= kinds.count("none") / 2000 <= 0.19
    texts = {reply.text for reply in planned if reply}
    assert texts == set(YES_REPLIES) | set(NO_REPLIES) | set(UNCLEAR_REPLIES)


# --- as a separate process -----------------------------------------------


def test_server_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "SMSCONFIRM_DEMO_TOKEN": TOKEN}
    command = [sys.executable, "-m", "smsconfirm_tui.gateway.demo_server", "--db", str(tmp_path / "gateway.db"), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")

        with DemoGateway(url, TOKEN) as client:
            result = client.send(make_sms())
        counts = httpx.get(f"{url}/v1/_stats", headers={"Authorization": f"Bearer {TOKEN}"}, trust_env=False).json()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=5)

    assert result.outcome is SendOutcome.ACCEPTED
    assert counts == {"accepted": 1, "by_reference": {"visit-1": 1}}
    assert process.returncode == 0
    assert TOKEN not in stderr


def test_server_log_path_visible(tmp_path: Path) -> None:
    # With --verbose the request lines go to stderr, which is usually a terminal.
    server = subprocess.Popen(
        [sys.executable, "-m", "smsconfirm_tui.cli", "demo-gateway", "--db", str(tmp_path / "gateway.db"), "--verbose"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = server.stdout.readline().strip()
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(b"GET /v1/\x1b]2;PWNED\x07 HTTP/1.0\r\n\r\n")
            assert connection.recv(100).startswith(b"HTTP/1.0 401")
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)

    assert server.returncode == 0
    assert "GET /v1/␛]2;PWNED␇ -> 401" in log
    assert "\x1b" not in log
    assert "\x07" not in log


def test_command_registered() -> None:
    args = build_parser().parse_args(["demo-gateway", "--db", "gateway.db", "--port", "8025", "--reply-delay", "1.5"])

    assert args.db == Path("gateway.db")
    assert args.port == 8025
    assert args.reply_delay == 1.5
    assert callable(args.handler)


def test_gateway_imports_no_textual() -> None:
    code = (
        "import sys, smsconfirm_tui.gateway.demo, smsconfirm_tui.gateway.demo_server; "
        "print(sorted(name for name in ('textual', 'sqlite_utils', 'smsconfirm_tui.store') if name in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert output.strip() == "[]"
