"""The [source] table of the config, the older source = "file" form, and the sync command.

The sync command's tests also check its output and log for untrusted text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smsconfirm_tui.config import ConfigError, load_config, parse_config
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS
from sync_support import SalonData, appointment


def parse(data: dict, path: Path = Path("/etc/smsconfirm/config.toml")):
    return parse_config(data, path)


def test_old_source_form_still_works():
    config = parse({"source": "salon.sqlite"})
    assert config.source.kind == "sqlite"
    assert config.source.path == Path("/etc/smsconfirm/salon.sqlite")
    assert parse({}).source is None


def test_sql_source_with_queries():
    config = parse({"source": {"kind": "sql", "url": "mssql+pymssql://reader@kasse/salon",
                               "queries": {"clients": "SELECT KundenNr AS id FROM Kunden"}}})
    assert config.source.kind == "sql"
    assert config.source.queries == {"clients": "SELECT KundenNr AS id FROM Kunden"}
    assert "reader" not in repr(config.source)


def test_csv_source_with_mapping():
    config = parse({"source": {
        "kind": "csv",
        "files": {"salons": "f.csv", "clients": "k.csv", "appointments": "t.csv"},
        "columns": {"appointments": {"starts_at": ["Datum", "Von"], "id": "TerminNr"}},
        "delimiter": ";",
        "encoding": "cp1252",
    }})
    source = config.source
    assert source.files["clients"] == Path("/etc/smsconfirm/k.csv")
    assert source.columns["appointments"] == {"starts_at": ("Datum", "Von"), "id": "TerminNr"}
    assert (source.delimiter, source.encoding) == (";", "cp1252")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"kind": "oracle"}, "source.kind = 'oracle' is not supported"),
        ({"kind": "sqlite"}, "source.path is missing"),
        ({"kind": "sql"}, "source.url is missing"),
        ({"kind": "sql", "url": "sqlite://", "queries": {"kunden": "SELECT 1"}}, "unknown key source.queries.kunden"),
        ({"kind": "csv", "files": {"salons": "a.csv"}}, "source.files.clients is missing"),
        ({"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"},
          "columns": {"clients": {"natel": "Natel"}}}, "unknown key source.columns.clients.natel"),
        ({"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"},
          "columns": {"clients": {"id": ["A", "B"]}}}, "source.columns.clients.id = \\['A', 'B'\\] must be an export header"),
        ({"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"}, "delimiter": "|"},
         "source.delimiter = '\\|' is not supported"),
        ({"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"}, "encoding": "latin-1"},
         "source.encoding = 'latin-1' is not supported"),
        ({"kind": "sqlite", "path": "a", "url": "x"}, "unknown key source.url"),
    ],
)
def test_bad_source_rejected(source, message):
    with pytest.raises(ConfigError, match=message):
        parse({"source": source})


def test_sync_max_age_hours():
    assert parse({}).sync_max_age_hours == 12.0
    assert parse({"sync_max_age_hours": 2}).sync_max_age_hours == 2.0
    with pytest.raises(ConfigError, match="sync_max_age_hours = 0 must be a number of hours above 0"):
        parse({"sync_max_age_hours": 0})


def test_password_in_url_needs_private_file(tmp_path, monkeypatch):
    monkeypatch.delenv("SMSCONFIRM_SOURCE_URL", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[source]\nkind = "sql"\nurl = "postgresql://reader:geheim@db/salon"\n', encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="contains a database password but others can read it: run chmod 600"):
        load_config(path)
    path.chmod(0o600)
    assert load_config(path).source.url == "postgresql://reader:geheim@db/salon"


def test_url_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('[source]\nkind = "sql"\n', encoding="utf-8")
    monkeypatch.setenv("SMSCONFIRM_SOURCE_URL", "postgresql://reader:geheim@db/salon")
    assert load_config(path).source.url == "postgresql://reader:geheim@db/salon"
    path.write_text('source = "salon.sqlite"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="SMSCONFIRM_SOURCE_URL is set but the source"):
        load_config(path)


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SMSCONFIRM_")}
    return subprocess.run(
        [sys.executable, "-m", "smsconfirm_tui.cli", *args, "--home", str(home)],
        capture_output=True, text=True, env=environment, timeout=60, check=False,
    )


def test_sync_command_summary(tmp_path):
    salon_db = SalonData().write_sqlite(tmp_path / "salon.sqlite")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(f'[source]\nkind = "sqlite"\npath = "{salon_db}"\n', encoding="utf-8")
    first = run_cli("sync", home=home)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("sync done: 6 new, 0 changed, 0 removed, 0 skipped in ")
    assert "  appointments: 3 new, 0 changed, 0 removed, 0 unchanged, 0 skipped" in first.stdout
    assert "reading appointments: 3/3 rows" in first.stderr

    data = SalonData()
    data.appointments[0]["status"] = "verschoben"
    data.write_sqlite(salon_db)
    second = run_cli("sync", home=home)
    assert "skipped appointments 'A1': status 'verschoben' is not one of" in second.stdout


def test_sync_command_error_exit(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    broken = SalonData().write_sqlite(tmp_path / "salon.sqlite", drop_columns={"clients": "updated_at"})
    result = run_cli("sync", "--source", str(broken), home=home)
    assert result.returncode == 1
    assert "sync failed, the mirror is unchanged" in result.stderr
    assert "table 'clients' lacks column(s) updated_at" in result.stderr
    missing = run_cli("sync", home=home)
    assert missing.returncode == 2
    assert "no salon database given" in missing.stderr


def log_text(home: Path) -> str:
    return (home / "logs" / "smsconfirm.log").read_text(encoding="utf-8")


def test_sync_skipped_reason_visible(tmp_path):
    data = SalonData()
    data.appointments.append(appointment("T35", "K\x1b[2JX\x1b[31m"))
    salon_db = data.write_sqlite(tmp_path / "salon.sqlite")
    home = tmp_path / "home"
    home.mkdir()

    result = run_cli("sync", "--source", str(salon_db), home=home)

    assert result.returncode == 0, result.stderr
    assert "  skipped appointments 'T35': unknown client 'K␛[2JX␛[31m'\n" in result.stdout
    assert "\x1b" not in result.stdout
    assert "\x1b" not in result.stderr
    log = log_text(home)
    assert "sync skipped appointments 'T35'" in log
    assert "unknown client 'K␛[2JX␛[31m'" in log
    assert "\x1b" not in log


def test_sync_header_error_visible(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    headers = {
        "salons": "id,name,phone,canton,\x1b]2;PWNED\x07",
        "clients": ",".join(SOURCE_COLUMNS["clients"]),
        "appointments": ",".join(SOURCE_COLUMNS["appointments"]),
    }
    for table, header in headers.items():
        (exports / f"{table}.csv").write_text(header + "\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        '[source]\nkind = "csv"\ndelimiter = ","\n[source.files]\n'
        + "".join(f'{table} = "{exports / table}.csv"\n' for table in headers),
        encoding="utf-8",
    )

    result = run_cli("sync", home=home)

    assert result.returncode == 1
    assert "sync failed, the mirror is unchanged" in result.stderr
    assert "found: id, name, phone, canton, ␛]2;PWNED␇;" in result.stderr
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    log = log_text(home)
    assert "found: id, name, phone, canton, ␛]2;PWNED␇;" in log
    assert "\x1b" not in log

