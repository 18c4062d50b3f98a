"""The config file (TOML), read strictly: an unknown key or a bad value is an error."""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A shorter reply poll interval only adds load on the provider's API: replies
# need minutes to matter to the routine.
MIN_REPLY_POLL_SECONDS = 10


class ConfigError(ValueError):
    """The config file is invalid; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class GatewayConfig:
    kind: str = "demo"  # demo (more providers follow)
    url: str = ""
    token: str = field(default="", repr=False)  # secret: never logged or shown
    timeout: float = 10.0


@dataclass(frozen=True)
class SalonSettings:
    open_days: frozenset[int] = frozenset(range(6))  # 0 = Monday
    canton: str | None = None  # overrides the salon database's canton


@dataclass(frozen=True)
class Config:
    language: str | None = None  # UI language, de or en; None: from the locale, else de
    source: Path | None = None  # the salon database (SQLite file)
    default_lead_days: int = 2
    min_notice_hours: float = 2.0
    templates: dict[str, str] = field(default_factory=dict)
    salons: dict[str, SalonSettings] = field(default_factory=dict)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    actor: str = ""  # name in the audit log; defaults to the login name
    # Seconds between reply fetches while the app is open; 0 switches the timer off.
    reply_poll_seconds: float = 60.0

    def salon_settings(self, salon_id: str) -> SalonSettings:
        return self.salons.get(salon_id, SalonSettings())


def default_actor() -> str:
    for name in ("SMSCONFIRM_USER", "USER", "LOGNAME", "USERNAME"):
        if os.environ.get(name):
            return os.environ[name]
    return "unknown"


def load_config(path: Path) -> Config:
    """Read the config file; a missing file gives the defaults."""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from error
    config = parse_config(data, path)
    if config.gateway.token and path.exists():
        _check_private(path)
    token = os.environ.get("SMSCONFIRM_GATEWAY_TOKEN")
    if token:
        config = _replace_gateway(config, token=token)
    return config


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path} holds a gateway token but others can read it: run chmod 600 {path}"
        )


def _replace_gateway(config: Config, **changes: Any) -> Config:
    from dataclasses import replace

    return replace(config, gateway=replace(config.gateway, **changes))


def parse_config(data: dict[str, Any], path: Path) -> Config:
    allowed = {
        "language", "source", "default_lead_days", "min_notice_hours", "templates", "salons", "gateway",
        "actor", "reply_poll_seconds",
    }
    _reject_unknown(data, allowed, path, "")
    language = data.get("language")
    if language is not None and language not in ("de", "en"):
        raise ConfigError(f"{path}: language = {language!r} is not supported: use \"de\" or \"en\"")
    lead = data.get("default_lead_days", 2)
    if not isinstance(lead, int) or not 0 <= lead <= 14:
        raise ConfigError(f"{path}: default_lead_days = {lead!r} must be a whole number from 0 to 14")
    notice = data.get("min_notice_hours", 2.0)
    if not isinstance(notice, int | float) or notice < 0:
        raise ConfigError(f"{path}: min_notice_hours = {notice!r} must be a number of hours, 0 or more")
    poll = data.get("reply_poll_seconds", 60)
    if isinstance(poll, bool) or not isinstance(poll, int) or not (poll == 0 or MIN_REPLY_POLL_SECONDS <= poll <= 3600):
        raise ConfigError(
            f"{path}: reply_poll_seconds = {poll!r} must be 0 (no timer) or a whole number of seconds "
            f"from {MIN_REPLY_POLL_SECONDS} to 3600"
        )
    templates = data.get("templates", {})
    if not isinstance(templates, dict) or not all(isinstance(v, str) for v in templates.values()):
        raise ConfigError(f"{path}: [templates] must map a language (de, fr, it, en) to a text")
    for language_code in templates:
        if language_code not in ("de", "fr", "it", "en"):
            raise ConfigError(f"{path}: templates.{language_code} is not a supported language: use de, fr, it or en")
    salons = {
        str(salon_id): _parse_salon(values, path, str(salon_id))
        for salon_id, values in data.get("salons", {}).items()
    }
    gateway_data = data.get("gateway", {})
    _reject_unknown(gateway_data, {"kind", "url", "token", "timeout"}, path, "gateway.")
    gateway = GatewayConfig(
        kind=str(gateway_data.get("kind", "demo")),
        url=str(gateway_data.get("url", "")),
        token=str(gateway_data.get("token", "")),
        timeout=float(gateway_data.get("timeout", 10.0)),
    )
    if gateway.kind not in ("demo",):
        raise ConfigError(f"{path}: gateway.kind = {gateway.kind!r} is not supported: use \"demo\"")
    source = data.get("source")
    return Config(
        language=language,
        source=(path.parent / source) if source else None,
        default_lead_days=lead,
        min_notice_hours=float(notice),
        templates=dict(templates),
        salons=salons,
        gateway=gateway,
        actor=str(data.get("actor", "")) or default_actor(),
        reply_poll_seconds=poll,
    )


def _parse_salon(values: Any, path: Path, salon_id: str) -> SalonSettings:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [salons.{salon_id}] must be a table")
    _reject_unknown(values, {"open_days", "canton"}, path, f"salons.{salon_id}.")
    open_days = values.get("open_days", list(WEEKDAY_NAMES[:6]))
    days: set[int] = set()
    for name in open_days:
        if str(name).lower() not in WEEKDAY_NAMES:
            raise ConfigError(
                f"{path}: salons.{salon_id}.open_days has {name!r}: use {', '.join(WEEKDAY_NAMES)}"
            )
        days.add(WEEKDAY_NAMES.index(str(name).lower()))
    if not days:
        raise ConfigError(f"{path}: salons.{salon_id}.open_days is empty: list at least one day")
    canton = values.get("canton")
    return SalonSettings(open_days=frozenset(days), canton=str(canton).upper() if canton else None)


def _reject_unknown(data: dict[str, Any], allowed: set[str], path: Path, prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {prefix}{unknown[0]}: allowed are {', '.join(sorted(allowed))}"
        )
