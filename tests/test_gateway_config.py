"""The [gateway] and per-salon sending settings, and the gateway factory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from smsconfirm_tui.config import ConfigError, GatewayConfig, load_config, parse_config
from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.gateway.aspsms import AspsmsGateway
from smsconfirm_tui.gateway.ecall import EcallGateway
from smsconfirm_tui.gateway.factory import GatewaySetupError, build_gateway
from smsconfirm_tui.gateway.twilio import TwilioGateway

PATH = Path("config.toml")


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize(("kind", "adapter"), [("twilio", TwilioGateway), ("ecall", EcallGateway),
                                               ("aspsms", AspsmsGateway)])
def test_factory_builds_each_kind(kind: str, adapter: type) -> None:
    config = parse_config({"gateway": {"kind": kind, "username": "user", "token": "secret-token"}}, PATH).gateway
    gateway = build_gateway(config)
    try:
        assert isinstance(gateway, adapter)
        assert gateway.base_url.startswith("https://")
        assert "secret-token" not in repr(gateway)
    finally:
        gateway.close()


def test_factory_names_missing_token() -> None:
    with pytest.raises(GatewaySetupError, match="gateway.token is missing for twilio"):
        build_gateway(GatewayConfig(kind="twilio", username="AC1"))


def test_token_never_in_repr() -> None:
    assert "secret-token" not in repr(GatewayConfig(kind="ecall", token="secret-token"))


def test_token_in_readable_file_rejected(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[gateway]\nkind = "aspsms"\nusername = "K"\ntoken = "t"\n', mode=0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_config(path)


def test_credentials_from_environment(tmp_path: Path, monkeypatch) -> None:
    path = write_config(tmp_path, '[gateway]\nkind = "ecall"\n', mode=0o644)
    monkeypatch.setenv("SMSCONFIRM_GATEWAY_TOKEN", "from-env")
    monkeypatch.setenv("SMSCONFIRM_GATEWAY_USERNAME", "salon-user")
    config = load_config(path)
    assert config.gateway.token == "from-env"
    assert config.gateway.username == "salon-user"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gateway": {"kind": "swisscom"}}, "gateway.kind"),
        ({"gateway": {"from_number": "079 123 45 67"}}, "E.164"),
        ({"gateway": {"rate_limit": 0}}, "gateway.rate_limit"),
        ({"gateway": {"timeout": 300}}, "from 0.1 to 60"),
        ({"gateway": {"concurrency": 2.5}}, "whole number"),
        ({"gateway": {"url": "ftp://x"}}, "https://"),
        ({"gateway": {"password": "x"}}, "unknown key gateway.password"),
        ({"salons": {"S1": {"sender": "Coiffure Anna Zürich"}}}, "at most 11"),
        ({"salons": {"S1": {"sender": "Anna & Co"}}}, "not allowed"),
        ({"salons": {"S1": {"sending_hours": "8-20"}}}, "08:00-20:00"),
        ({"salons": {"S1": {"sending_hours": "20:00-08:00"}}}, "end after it starts"),
        ({"salons": {"S1": {"sending_days": []}}}, "is empty"),
    ],
)
def test_invalid_settings_rejected(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(data, PATH)


def test_default_sending_hours() -> None:
    hours = parse_config({}, PATH).salon_settings("S1").sending_hours
    assert hours.contains(datetime(2026, 12, 4, 8, 0, tzinfo=ZURICH))
    assert hours.contains(datetime(2026, 12, 5, 19, 59, tzinfo=ZURICH))
    assert not hours.contains(datetime(2026, 12, 4, 20, 0, tzinfo=ZURICH))
    assert not hours.contains(datetime(2026, 12, 4, 7, 59, tzinfo=ZURICH))
    assert not hours.contains(datetime(2026, 12, 6, 10, 0, tzinfo=ZURICH))


def test_salon_sender_and_hours_read() -> None:
    data = {"salons": {"S1": {"sender": " Coiffure A ", "sending_hours": "09:30-18:00",
                              "sending_days": ["tue", "wed"]}}}
    settings = parse_config(data, PATH).salon_settings("S1")
    assert settings.sender == "Coiffure A"
    assert settings.sending_hours.describe() == "tue, wed 09:30-18:00"
