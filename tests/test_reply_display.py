"""Reply text on screen, the reply poll setting and the demo gateway's hand-written replies."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsconfirm_tui.config import ConfigError, parse_config
from smsconfirm_tui.gateway.base import NO_REPLY_REFERENCE_PREFIX, OutgoingSms
from smsconfirm_tui.gateway.demo import DemoGateway
from smsconfirm_tui.gateway.demo_server import DemoGatewayServer
from smsconfirm_tui.tui.presenters import visible_text

TOKEN = "reply-test-token"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Ja gerne", "Ja gerne"),
        ("\x1b[2JJa", "␛[2JJa"),
        ("[bold]ja[/bold]", "[bold]ja[/bold]"),
        ("ok\u202eko", "ok<U+202E>ko"),
        ("a\tb\x07", "a␉b␇"),
        ("x\x7f\x9b", "x␡<U+009B>"),
        ("👨\u200d👩\u200d👧 ja", "👨\u200d👩\u200d👧 ja"),
        ("eins\r\nzwei", "eins\nzwei"),
    ],
)
def test_visible_text_cases(text, shown):
    assert visible_text(text) == shown


def test_visible_text_one_line():
    assert visible_text("eins\nzwei\u2028drei", one_line=True) == "eins ⏎ zwei ⏎ drei"


@given(st.text())
def test_visible_text_has_no_controls(text):
    shown = visible_text(text, one_line=True)
    assert "\n" not in shown
    hidden = [char for char in shown if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    assert set(hidden) <= {"\u200c", "\u200d"}


def test_reply_poll_default_and_off():
    assert parse_config({}, Path("c.toml")).reply_poll_seconds == 60
    assert parse_config({"reply_poll_seconds": 0}, Path("c.toml")).reply_poll_seconds == 0
    assert parse_config({"reply_poll_seconds": 120}, Path("c.toml")).reply_poll_seconds == 120


@pytest.mark.parametrize("value", [5, -1, 4000, 1.5, "60", True])
def test_reply_poll_invalid(value):
    with pytest.raises(ConfigError, match=r"c\.toml: reply_poll_seconds = .* must be 0 \(no timer\)"):
        parse_config({"reply_poll_seconds": value}, Path("c.toml"))


def test_demo_hand_written_reply(tmp_path):
    with DemoGatewayServer(tmp_path / "gateway.db", TOKEN) as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        response = httpx.post(f"{server.url}/v1/_inbound", json={"from": "+41791112233", "text": "Wer ist da?"},
                              headers=headers)
        assert response.status_code == 201
        bad = httpx.post(f"{server.url}/v1/_inbound", json={"from": "0791112233", "text": "x"}, headers=headers)
        assert bad.status_code == 400
        assert bad.json()["error"] == "invalid_number"
        with DemoGateway(server.url, TOKEN) as gateway:
            batch = gateway.fetch_replies()
        assert [(reply.from_number, reply.text) for reply in batch.replies] == [("+41791112233", "Wer ist da?")]


def test_demo_no_reply_to_acknowledgement(tmp_path):
    with DemoGatewayServer(tmp_path / "gateway.db", TOKEN) as server, DemoGateway(server.url, TOKEN) as gateway:
        for index in range(20):
            sms = OutgoingSms(f"{NO_REPLY_REFERENCE_PREFIX}{index}", "+41791112233", "Keine SMS mehr", "Salon")
            assert gateway.send(sms).provider_id
        assert gateway.fetch_replies().replies == []


def test_moved_wins_over_late():
    from smsconfirm_tui.domain.status import VisitStatus
    from smsconfirm_tui.tui.presenters import status_text

    assert "verschoben" in status_text(VisitStatus.TO_SEND, moved=True, late=True).plain
    assert "verspätet" in status_text(VisitStatus.TO_SEND, late=True).plain
