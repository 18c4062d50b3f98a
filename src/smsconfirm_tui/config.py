"""The config file (TOML), read strictly: an unknown key or a bad value is an error."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from smsconfirm_tui.domain.calendar import CANTONS
from smsconfirm_tui.domain.templates import validate_sender, validate_template

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A shorter reply poll interval only adds load on the provider's API: replies
# need minutes to matter to the routine.
MIN_REPLY_POLL_SECONDS = 10

SOURCE_KINDS = ("sqlite", "sql", "csv")
SOURCE_TABLES = ("salons", "clients", "appointments")
CSV_DELIMITERS = (";", ",", "\t")
CSV_ENCODINGS = ("utf-8", "cp1252")
DEFAULT_SYNC_MAX_AGE_HOURS = 12.0


class ConfigError(ValueError):
    """The config file is invalid; the message names the file, the key and the fix."""


GATEWAY_KINDS = ("demo", "twilio", "ecall", "aspsms")
DEFAULT_GATEWAY_URLS = {
    "twilio": "https://api.twilio.com",
    "ecall": "https://url.ecall.ch",
    "aspsms": "https://json.aspsms.com",
}
TOKEN_ENV_VAR = "SMSCONFIRM_GATEWAY_TOKEN"
USERNAME_ENV_VAR = "SMSCONFIRM_GATEWAY_USERNAME"


@dataclass(frozen=True)
class GatewayConfig:
    kind: str = "demo"  # one of GATEWAY_KINDS
    url: str = ""  # empty: the provider's public API
    # Twilio Account SID, eCall user name or ASPSMS UserKey.
    username: str = ""
    # Twilio Auth Token, eCall password or ASPSMS password: never logged or shown.
    token: str = field(default="", repr=False)
    from_number: str = ""  # our own number in E.164, where replies arrive (Twilio, eCall)
    timeout: float = 10.0  # seconds per request
    rate_limit: float = 10.0  # messages per second to this provider
    concurrency: int = 4  # requests in flight at once
    price_per_segment: float = 0.09  # CHF, for the estimate in the send dialog
    max_segments: int = 2  # the send dialog warns about longer messages

    @property
    def base_url(self) -> str:
        return self.url or DEFAULT_GATEWAY_URLS.get(self.kind, "")


@dataclass(frozen=True)
class SendingHours:
    """When a salon may send: on these weekdays, from ``start`` to ``end`` local time (minutes)."""

    days: frozenset[int] = frozenset(range(6))  # 0 = Monday
    start_minute: int = 8 * 60
    end_minute: int = 20 * 60

    def contains(self, moment: datetime) -> bool:
        """Return whether ``moment``, in the salon's local time, falls within these hours."""
        minute = moment.hour * 60 + moment.minute
        return moment.weekday() in self.days and self.start_minute <= minute < self.end_minute

    def describe(self) -> str:
        names = ", ".join(WEEKDAY_NAMES[day] for day in sorted(self.days))
        return f"{names} {self.start_minute // 60:02d}:{self.start_minute % 60:02d}-" \
               f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d}"


@dataclass(frozen=True)
class SalonSettings:
    open_days: frozenset[int] = frozenset(range(6))  # 0 = Monday
    canton: str | None = None  # overrides the salon database's canton
    sender: str | None = None  # overrides the salon database's SMS sender name
    sending_hours: SendingHours = field(default_factory=SendingHours)


@dataclass(frozen=True)
class SourceConfig:
    """The salon database to read, and how.

    ``kind`` is ``sqlite`` (a file in the salon database shape), ``sql`` (a
    SQLAlchemy URL with optional queries per table) or ``csv`` (one export
    file per table with a column mapping).
    """

    kind: str = "sqlite"
    path: Path | None = None  # sqlite: the database file
    url: str = field(default="", repr=False)  # sql: may contain a password, never logged
    queries: dict[str, str] = field(default_factory=dict)  # sql: table -> SELECT
    files: dict[str, Path] = field(default_factory=dict)  # csv: table -> export file
    # csv: table -> salon database column -> export header, or [date header, time header]
    columns: dict[str, dict[str, str | tuple[str, str]]] = field(default_factory=dict)
    delimiter: str | None = None  # csv: None detects ";", "," or tab from the header line
    encoding: str | None = None  # csv: None detects UTF-8 (with or without BOM) or Windows-1252
    statuses: dict[str, str] = field(default_factory=dict)  # csv: the export's status word (lower case) -> status


@dataclass(frozen=True)
class Config:
    language: str | None = None  # UI language, de or en; None: from the locale, else de
    source: SourceConfig | None = None  # the salon database
    sync_max_age_hours: float = DEFAULT_SYNC_MAX_AGE_HOURS  # the send dialog warns past this age
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
        _check_private(path, "a gateway token")
    if config.source is not None and _url_has_password(config.source.url) and path.exists():
        _check_private(path, "a database password")
    token = os.environ.get(TOKEN_ENV_VAR)
    if token:
        config = _replace_gateway(config, token=token)
    username = os.environ.get(USERNAME_ENV_VAR)
    if username:
        config = _replace_gateway(config, username=username)
    url = os.environ.get("SMSCONFIRM_SOURCE_URL")
    if url:
        from dataclasses import replace

        source = config.source or SourceConfig(kind="sql")
        if source.kind != "sql":
            raise ConfigError(
                f"SMSCONFIRM_SOURCE_URL is set but the source in {path} has kind = {source.kind!r}: "
                "set kind = \"sql\" in [source] or unset the variable"
            )
        config = replace(config, source=replace(source, url=url))
    return config


def _check_private(path: Path, what: str) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path} contains {what} but others can read it: run chmod 600 {path}"
        )


def _url_has_password(url: str) -> bool:
    """Tell whether a database URL carries a password (``scheme://user:secret@host``)."""
    authority = url.partition("://")[2].partition("/")[0]
    return "@" in authority and ":" in authority.rpartition("@")[0]


def _replace_gateway(config: Config, **changes: Any) -> Config:
    from dataclasses import replace

    return replace(config, gateway=replace(config.gateway, **changes))


def parse_config(data: dict[str, Any], path: Path) -> Config:
    allowed = {
        "language", "source", "default_lead_days", "min_notice_hours", "templates", "salons", "gateway",
        "actor", "reply_poll_seconds", "sync_max_age_hours",
    }
    _reject_unknown(data, allowed, path, "")
    language = data.get("language")
    if language is not None and language not in ("de", "en"):
        raise ConfigError(f"{path}: language = {language!r} is not supported: use \"de\" or \"en\"")

    lead = data.get("default_lead_days", 2)
    if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= 14:
        raise ConfigError(f"{path}: default_lead_days = {lead!r} must be a whole number from 0 to 14")
    notice = data.get("min_notice_hours", 2.0)
    if isinstance(notice, bool) or not isinstance(notice, int | float) or not 0 <= notice <= 72:
        raise ConfigError(f"{path}: min_notice_hours = {notice!r} must be a number of hours from 0 to 72")

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
        try:
            validate_template(templates[language_code])
        except ValueError as error:
            raise ConfigError(f"{path}: templates.{language_code}: {error}") from error

    salons = {
        str(salon_id): _parse_salon(values, path, str(salon_id))
        for salon_id, values in data.get("salons", {}).items()
    }

    gateway = _parse_gateway(data.get("gateway", {}), path)
    max_age = data.get("sync_max_age_hours", DEFAULT_SYNC_MAX_AGE_HOURS)
    if isinstance(max_age, bool) or not isinstance(max_age, int | float) or max_age <= 0:
        raise ConfigError(f"{path}: sync_max_age_hours = {max_age!r} must be a number of hours above 0")

    return Config(
        language=language,
        source=parse_source(data.get("source"), path),
        sync_max_age_hours=float(max_age),
        default_lead_days=lead,
        min_notice_hours=float(notice),
        templates=dict(templates),
        salons=salons,
        gateway=gateway,
        actor=str(data.get("actor", "")) or default_actor(),
        reply_poll_seconds=poll,
    )


def _parse_gateway(values: Any, path: Path) -> GatewayConfig:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [gateway] must be a table")
    keys = {"kind", "url", "username", "token", "from_number", "timeout", "rate_limit", "concurrency",
            "price_per_segment", "max_segments"}
    _reject_unknown(values, keys, path, "gateway.")
    kind = str(values.get("kind", "demo"))
    if kind not in GATEWAY_KINDS:
        raise ConfigError(f"{path}: gateway.kind = {kind!r} is not supported: use {', '.join(GATEWAY_KINDS)}")
    url = str(values.get("url", ""))
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{path}: gateway.url = {url!r} must start with https:// or http://")
    from_number = str(values.get("from_number", ""))
    if from_number and not re.fullmatch(r"\+[1-9][0-9]{7,14}", from_number):
        raise ConfigError(f"{path}: gateway.from_number = {from_number!r} must be E.164, e.g. +41445551234")
    return GatewayConfig(
        kind=kind,
        url=url,
        username=str(values.get("username", "")),
        token=str(values.get("token", "")),
        from_number=from_number,
        # A request must end well within the outbox's 3-minute claim lease,
        # because a stale claim is reconciled as if its request had finished.
        timeout=_number(values, "timeout", 10.0, path, minimum=0.1, maximum=60),
        rate_limit=_number(values, "rate_limit", 10.0, path, minimum=0.01),
        concurrency=int(_number(values, "concurrency", 4, path, minimum=1, whole=True)),
        price_per_segment=_number(values, "price_per_segment", 0.09, path, minimum=0.0),
        max_segments=int(_number(values, "max_segments", 2, path, minimum=1, whole=True)),
    )


def _number(values: dict[str, Any], key: str, default: float, path: Path, *, minimum: float,
            maximum: float | None = None, whole: bool = False) -> float:
    value = values.get(key, default)
    valid_type = isinstance(value, int) if whole else isinstance(value, int | float)
    too_big = maximum is not None and valid_type and value > maximum
    if isinstance(value, bool) or not valid_type or value < minimum or too_big:
        kind = "a whole number" if whole else "a number"
        limit = f"from {minimum:g} to {maximum:g}" if maximum is not None else f"of at least {minimum:g}"
        raise ConfigError(f"{path}: gateway.{key} = {value!r} must be {kind} {limit}")
    return float(value)


def _parse_hours(text: Any, path: Path, salon_id: str) -> tuple[int, int]:
    match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])", str(text).strip())
    if match is None:
        raise ConfigError(
            f"{path}: salons.{salon_id}.sending_hours = {text!r} is invalid: write it as \"08:00-20:00\""
        )
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if end <= start or end > 24 * 60:
        raise ConfigError(f"{path}: salons.{salon_id}.sending_hours = {text!r} must end after it starts")
    return start, end


def _parse_days(names: Any, path: Path, key: str) -> frozenset[int]:
    days: set[int] = set()
    for name in names:
        if str(name).lower() not in WEEKDAY_NAMES:
            raise ConfigError(f"{path}: {key} has {name!r}: use {', '.join(WEEKDAY_NAMES)}")
        days.add(WEEKDAY_NAMES.index(str(name).lower()))
    if not days:
        raise ConfigError(f"{path}: {key} is empty: list at least one day")
    return frozenset(days)


def parse_source(value: Any, path: Path) -> SourceConfig | None:
    """Read ``source = "file"`` (a SQLite file, the older form) or a ``[source]`` table."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            return None
        return SourceConfig(kind="sqlite", path=path.parent / value)
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: source must be a file name or a [source] table")
    _reject_unknown(value, {"kind", "path", "url", "queries", "files", "columns", "delimiter", "encoding", "status"},
                    path, "source.")
    kind = value.get("kind", "sqlite")
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{path}: source.kind = {kind!r} is not supported: use {', '.join(SOURCE_KINDS)}")
    if kind == "sqlite":
        return _parse_sqlite_source(value, path)
    if kind == "sql":
        return _parse_sql_source(value, path)
    return _parse_csv_source(value, path)


def _parse_sqlite_source(value: dict[str, Any], path: Path) -> SourceConfig:
    _reject_unknown(value, {"kind", "path"}, path, "source.")
    file = value.get("path")
    if not isinstance(file, str) or not file:
        raise ConfigError(f"{path}: source.path is missing: give the salon database file for kind = \"sqlite\"")
    return SourceConfig(kind="sqlite", path=path.parent / file)


def _parse_sql_source(value: dict[str, Any], path: Path) -> SourceConfig:
    _reject_unknown(value, {"kind", "url", "queries"}, path, "source.")
    url = value.get("url", "")
    if not isinstance(url, str):
        raise ConfigError(f"{path}: source.url must be a text such as \"postgresql+psycopg://user@host/db\"")
    if not url and not os.environ.get("SMSCONFIRM_SOURCE_URL"):
        raise ConfigError(
            f"{path}: source.url is missing: give a SQLAlchemy database URL, "
            "or set SMSCONFIRM_SOURCE_URL to keep the password out of the file"
        )
    queries = value.get("queries", {})
    if not isinstance(queries, dict):
        raise ConfigError(f"{path}: [source.queries] must map a table name to a SELECT statement")
    _reject_unknown(queries, set(SOURCE_TABLES), path, "source.queries.")
    for table, query in queries.items():
        if not isinstance(query, str) or not query.strip():
            raise ConfigError(f"{path}: source.queries.{table} must be a SELECT statement")
    return SourceConfig(kind="sql", url=url, queries=dict(queries))


def _parse_csv_source(value: dict[str, Any], path: Path) -> SourceConfig:
    _reject_unknown(value, {"kind", "files", "columns", "delimiter", "encoding", "status"}, path, "source.")
    files = value.get("files", {})
    if not isinstance(files, dict):
        raise ConfigError(f"{path}: [source.files] must map salons, clients and appointments to a CSV file")
    _reject_unknown(files, set(SOURCE_TABLES), path, "source.files.")
    for table in SOURCE_TABLES:
        if not isinstance(files.get(table), str) or not files[table]:
            raise ConfigError(f"{path}: source.files.{table} is missing: give the CSV export file of the {table}")
    columns = value.get("columns", {})
    if not isinstance(columns, dict):
        raise ConfigError(f"{path}: [source.columns] must contain one table per salon database table")
    _reject_unknown(columns, set(SOURCE_TABLES), path, "source.columns.")

    mapping: dict[str, dict[str, str | tuple[str, str]]] = {}
    for table, table_columns in columns.items():
        mapping[table] = _parse_column_mapping(table, table_columns, path)

    delimiter = value.get("delimiter")
    if delimiter is not None and delimiter not in CSV_DELIMITERS:
        raise ConfigError(f"{path}: source.delimiter = {delimiter!r} is not supported: use \";\", \",\" or \"\\t\"")
    encoding = value.get("encoding")
    if encoding is not None and encoding not in CSV_ENCODINGS:
        raise ConfigError(
            f"{path}: source.encoding = {encoding!r} is not supported: use \"utf-8\" or \"cp1252\", "
            "or leave it out to detect the encoding"
        )
    return SourceConfig(
        kind="csv",
        files={table: path.parent / file for table, file in files.items()},
        columns=mapping,
        delimiter=delimiter,
        encoding=encoding,
        statuses=_parse_statuses(value.get("status", {}), path),
    )


def _parse_statuses(values: Any, path: Path) -> dict[str, str]:
    """Read [source.status]: the export's own status words, each mapped to one of the product's statuses."""
    from smsconfirm_tui.sync.appointments import APPOINTMENT_STATES

    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [source.status] must map the export's status words to a status")
    statuses: dict[str, str] = {}
    for word, status in values.items():
        if status not in APPOINTMENT_STATES:
            raise ConfigError(
                f"{path}: source.status.{word} = {status!r} is not a status: use one of "
                f"{', '.join(sorted(APPOINTMENT_STATES))}"
            )
        statuses[word.strip().lower()] = status
    return statuses


def _parse_column_mapping(table: str, values: Any, path: Path) -> dict[str, str | tuple[str, str]]:
    from smsconfirm_tui.sync.shape import REQUIRED_COLUMNS, SOURCE_COLUMNS, SPLIT_COLUMNS

    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [source.columns.{table}] must map column names to export headers")
    _reject_unknown(values, set(SOURCE_COLUMNS[table]), path, f"source.columns.{table}.")
    mapping: dict[str, str | tuple[str, str]] = {}
    for column, header in values.items():
        if header == "" and column in REQUIRED_COLUMNS.get(table, ()):
            raise ConfigError(
                f"{path}: source.columns.{table}.{column} = \"\" leaves a column empty that every row needs; "
                "set it to the export's header"
            )
        if isinstance(header, str):
            mapping[column] = header
        elif (
            isinstance(header, list)
            and len(header) == 2
            and all(isinstance(part, str) and part for part in header)
            and column in SPLIT_COLUMNS
        ):
            mapping[column] = (header[0], header[1])
        else:
            hint = " or [date header, time header]" if column in SPLIT_COLUMNS else ""
            raise ConfigError(
                f"{path}: source.columns.{table}.{column} = {header!r} must be an export header{hint}"
            )
    return mapping


def _parse_salon(values: Any, path: Path, salon_id: str) -> SalonSettings:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [salons.{salon_id}] must be a table")
    allowed = {"open_days", "canton", "sender", "sending_hours", "sending_days"}
    _reject_unknown(values, allowed, path, f"salons.{salon_id}.")
    open_days = _parse_days(values.get("open_days", list(WEEKDAY_NAMES[:6])), path, f"salons.{salon_id}.open_days")
    canton = values.get("canton")
    if canton is not None and str(canton).upper() not in CANTONS:
        raise ConfigError(
            f"{path}: salons.{salon_id}.canton = {canton!r} is not a Swiss canton: use a two-letter code such as ZH"
        )
    sender = values.get("sender")
    if sender is not None:
        try:
            sender = validate_sender(str(sender))
        except ValueError as error:
            raise ConfigError(f"{path}: salons.{salon_id}.sender: {error}") from error
    start, end = _parse_hours(values.get("sending_hours", "08:00-20:00"), path, salon_id)
    sending_days = _parse_days(values.get("sending_days", list(WEEKDAY_NAMES[:6])), path,
                               f"salons.{salon_id}.sending_days")
    return SalonSettings(
        open_days=open_days,
        canton=str(canton).upper() if canton else None,
        sender=sender,
        sending_hours=SendingHours(sending_days, start, end),
    )


def _reject_unknown(data: dict[str, Any], allowed: set[str], path: Path, prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {prefix}{unknown[0]}: allowed are {', '.join(sorted(allowed))}"
        )
