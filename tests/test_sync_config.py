"""The [source] table of the config, the older source = "file" form, and the sync command.

The sync command's tests check its output and log for untrusted text, and
what Ctrl+C does while it runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from smsconfirm_tui.cli import main
from smsconfirm_tui.config import ConfigError, load_config, parse_config
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync import merge
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS
from sync_support import SalonData, appointment, mirror_rows, mirror_snapshot


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
        ({"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"},
          "columns": {"appointments": {"id": ""}}}, 'source.columns.appointments.id = "" leaves a column empty'),
        ({"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"},
          "status": {"gebucht": "gebucht"}}, "source.status.gebucht = 'gebucht' is not a status: use one of booked"),
        ({"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"},
          "columns": {"appointments": {"starts_at": ""}}}, 'source.columns.appointments.starts_at = "" leaves'),
    ],
)
def test_bad_source_rejected(source, message):
    with pytest.raises(ConfigError, match=message):
        parse({"source": source})


def test_csv_status_words():
    config = parse({"source": {"kind": "csv", "files": {"salons": "a", "clients": "b", "appointments": "c"},
                               "status": {"Gebucht": "booked", "Nicht erschienen": "no_show"}}})

    assert config.source.statuses == {"gebucht": "booked", "nicht erschienen": "no_show"}


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


def write_large_exports(folder: Path, lines: int) -> dict[str, Path]:
    """Write CSV exports with ``lines`` appointment lines, one client per 20 lines, in the salon database's columns."""
    clients = max(1, lines // 20)
    rows = {
        "salons": ["S1;Coiffure Anna;044 212 34 56;ZH;Coiff Anna"],
        "clients": (
            f"C{number:07d};Anna;Muster;079 {number % 1000:03d} {number % 100:02d} 67;;;de;1;2;2026-11-01 10:00:00"
            for number in range(1, clients + 1)
        ),
        "appointments": (
            f"L{number:08d};C{number % clients + 1:07d};S1;2027-01-{number % 28 + 1:02d} 10:00;"
            f"2027-01-{number % 28 + 1:02d} 10:45;Schneiden;Anna;booked;2026-11-01 10:00:00"
            for number in range(1, lines + 1)
        ),
    }
    files = {}
    for table, table_rows in rows.items():
        path = folder / f"{table}.csv"
        with path.open("w", encoding="utf-8") as stream:
            stream.write(";".join(SOURCE_COLUMNS[table]) + "\n")
            stream.writelines(row + "\n" for row in table_rows)
        files[table] = path
    return files


def start_cli(*args: str, home: Path) -> subprocess.Popen:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SMSCONFIRM_")}
    return subprocess.Popen(
        [sys.executable, "-m", "smsconfirm_tui.cli", *args, "--home", str(home)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )


def synced_home(tmp_path: Path) -> tuple[Path, dict[str, list[tuple]]]:
    """Make a home whose mirror contains one sync of the small test salon, and return it with the mirror's rows."""
    home = tmp_path / "home"
    home.mkdir()
    first = run_cli("sync", "--source", str(SalonData().write_sqlite(tmp_path / "salon.sqlite")), home=home)
    assert first.returncode == 0, first.stderr
    return home, home_mirror_snapshot(home)


def home_mirror_snapshot(home: Path) -> dict[str, list[tuple]]:
    mirror = Mirror(home / "data" / "mirror.sqlite")
    try:
        return mirror_snapshot(mirror)
    finally:
        mirror.close()


def test_sync_ctrl_c_keeps_mirror(tmp_path):
    home, before = synced_home(tmp_path)
    files = write_large_exports(tmp_path, 200_000)
    (home / "config.toml").write_text(
        '[source]\nkind = "csv"\ndelimiter = ";"\nencoding = "utf-8"\n[source.files]\n'
        + "".join(f'{table} = "{path}"\n' for table, path in files.items()),
        encoding="utf-8",
    )

    sync = start_cli("sync", home=home)
    # The first progress line on stderr comes once the salons are read.
    assert sync.stderr.readline().startswith("reading salons:")
    sync.send_signal(signal.SIGINT)
    stdout, stderr = sync.communicate(timeout=60)

    assert sync.returncode == 130, stdout
    assert stderr.endswith("smsconfirm: sync cancelled, the mirror is unchanged\n")
    assert "Traceback" not in stderr
    assert stdout == ""
    assert home_mirror_snapshot(home) == before
    assert "sync cancelled by Ctrl+C, the mirror is unchanged" in log_text(home)


def test_sync_second_ctrl_c_stops_blocked(tmp_path):
    pytest.importorskip("psycopg")
    home, before = synced_home(tmp_path)
    # A loopback server that accepts the connection and never responds, like a hung database server.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        (home / "config.toml").write_text(
            f'[source]\nkind = "sql"\nurl = "postgresql+psycopg://reader@127.0.0.1:{port}/salon"\n', encoding="utf-8"
        )
        sync = start_cli("sync", home=home)
        server.settimeout(30)
        connection, _ = server.accept()
        with connection:
            sync.send_signal(signal.SIGINT)
            # The first Ctrl+C only requests a cancel, which the sync checks between batches, and no batch arrives.
            with pytest.raises(subprocess.TimeoutExpired):
                sync.wait(timeout=0.5)
            sync.send_signal(signal.SIGINT)
            stdout, stderr = sync.communicate(timeout=30)

    assert sync.returncode == 130, stderr
    assert stderr == "smsconfirm: sync cancelled, the mirror is unchanged\n"
    assert stdout == ""
    assert home_mirror_snapshot(home) == before


def test_sync_late_ctrl_c_reported(tmp_path, monkeypatch, capsys):
    salon_db = SalonData().write_sqlite(tmp_path / "salon.sqlite")
    real_merge = merge.merge_source

    def merge_then_interrupt(*args, **kwargs):
        summary = real_merge(*args, **kwargs)
        # Python's own handler would raise KeyboardInterrupt and stop the test run.
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        signal.raise_signal(signal.SIGINT)
        return summary

    monkeypatch.setattr(merge, "merge_source", merge_then_interrupt)

    code = main(["sync", "--source", str(salon_db), "--home", str(tmp_path / "home")])

    output = capsys.readouterr()
    assert code == 0
    assert output.out.startswith("sync done: 6 new, 0 changed, 0 removed, 0 skipped in ")
    assert output.err.endswith("smsconfirm: the sync had finished before Ctrl+C took effect\n")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sync_interrupt_after_commit(tmp_path, monkeypatch, capsys):
    salon_db = SalonData().write_sqlite(tmp_path / "salon.sqlite")
    real_merge = merge.merge_source

    def merge_then_stop(*args, **kwargs):
        # A second Ctrl+C that arrives after the sync has committed.
        real_merge(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(merge, "merge_source", merge_then_stop)
    try:
        code = main(["sync", "--source", str(salon_db), "--home", str(tmp_path / "home")])
    except KeyboardInterrupt:
        pytest.fail("the sync command let KeyboardInterrupt through")

    output = capsys.readouterr()
    assert code == 130
    assert output.out == ""
    assert output.err.endswith("merging appointments (3/3)\nsmsconfirm: sync stopped after it had updated the mirror\n")
    mirror = Mirror(tmp_path / "home" / "data" / "mirror.sqlite")
    try:
        assert len(mirror_rows(mirror, "appointments")) == 3
    finally:
        mirror.close()


def test_progress_lines_printed_once():
    import io

    from smsconfirm_tui.commands.sync import ProgressPrinter
    from smsconfirm_tui.sync.batches import SyncProgress

    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    # A CSV re-sync: the appointments are read when staged, then again when merged.
    for step in [SyncProgress("read", "appointments", 5, 5), SyncProgress("merge", "clients", 1, 3),
                 SyncProgress("read", "appointments", 0, 5), SyncProgress("read", "appointments", 5, 5),
                 SyncProgress("merge", "appointments", 2, 3)]:
        printer(step)

    assert stream.getvalue().splitlines() == [
        "reading appointments: 5/5 rows",
        "merging clients (2/3)",
        "merging appointments (3/3)",
    ]
