"""The SQL source: SQLite files by URL, and a real PostgreSQL server on loopback."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime

import pytest

from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.store.profiles import save_profile
from smsconfirm_tui.sync.errors import SyncError
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.sql_source import SqlSource
from sync_support import NOW, SalonData, appointment, mirror_snapshot

PG_HINT = (
    "no PostgreSQL server for the SQL source tests: start one with "
    "eval \"$(sudo bash .ci/postgres.sh)\" (it sets SMSCONFIRM_TEST_PG_URL)"
)

GERMAN_QUERIES = {
    "salons": "SELECT filiale AS id, name, telefon AS phone, kanton AS canton, absender AS sender FROM filialen",
    "clients": (
        "SELECT kunden_nr AS id, vorname AS first_name, nachname AS last_name, natel AS mobile_phone, "
        "tel_privat AS home_phone, '' AS work_phone, sprache AS language, sms AS confirm_sms, "
        "tage AS confirm_days, geaendert AS updated_at FROM kunden"
    ),
    "appointments": (
        "SELECT termin_nr AS id, kunden_nr AS client_id, filiale AS salon_id, beginn AS starts_at, "
        "ende AS ends_at, leistung AS service, mitarbeiter AS staff, status, geaendert AS updated_at "
        "FROM termine"
    ),
}


@pytest.fixture
def mirror(tmp_path):
    mirror = Mirror(tmp_path / "mirror.sqlite")
    yield mirror
    mirror.close()


def sync_url(mirror, url, queries=None):
    source = SqlSource(url, queries)
    try:
        return merge_source(mirror, source, now=NOW)
    finally:
        source.close()


# -- SQLite through SQLAlchemy --------------------------------------------------


def test_sqlite_url_default_queries(mirror, tmp_path):
    path = SalonData().write_sqlite(tmp_path / "salon.sqlite")
    summary = sync_url(mirror, f"sqlite:///{path}")
    assert summary.new == 6
    assert summary.skipped == []


def write_german_sqlite(path, data: SalonData):
    import sqlite3

    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE filialen (filiale, name, telefon, kanton, absender);"
        "CREATE TABLE kunden (kunden_nr, vorname, nachname, natel, tel_privat, sprache, sms, tage, geaendert);"
        "CREATE TABLE termine (termin_nr, kunden_nr, filiale, beginn, ende, leistung, mitarbeiter, status, geaendert);"
    )
    connection.executemany("INSERT INTO filialen VALUES (?, ?, ?, ?, ?)",
                           [(r["id"], r["name"], r["phone"], r["canton"], r["sender"]) for r in data.salons])
    connection.executemany(
        "INSERT INTO kunden VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r["id"], r["first_name"], r["last_name"], r["mobile_phone"], r["home_phone"], r["language"],
          r["confirm_sms"], r["confirm_days"], r["updated_at"]) for r in data.clients],
    )
    connection.executemany(
        "INSERT INTO termine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r["id"], r["client_id"], r["salon_id"], r["starts_at"], r["ends_at"], r["service"], r["staff"],
          r["status"], r["updated_at"]) for r in data.appointments],
    )
    connection.commit()
    connection.close()


def test_sqlite_url_configured_queries(mirror, tmp_path):
    path = tmp_path / "kasse.sqlite"
    write_german_sqlite(path, SalonData())
    summary = sync_url(mirror, f"sqlite:///{path}", GERMAN_QUERIES)
    assert summary.new == 6
    assert mirror.client("K2").first_name == "Beat"


def test_query_without_column_aborts(mirror, tmp_path):
    path = tmp_path / "kasse.sqlite"
    write_german_sqlite(path, SalonData())
    sync_url(mirror, f"sqlite:///{path}", GERMAN_QUERIES)
    before = mirror_snapshot(mirror)
    queries = dict(GERMAN_QUERIES, appointments=GERMAN_QUERIES["appointments"].replace("beginn AS starts_at", "beginn"))
    with pytest.raises(SyncError, match=r"the query for appointments returns no column starts_at: name the columns"):
        sync_url(mirror, f"sqlite:///{path}", queries)
    assert mirror_snapshot(mirror) == before


def test_missing_table_names_the_query_key(mirror, tmp_path):
    path = tmp_path / "kasse.sqlite"
    write_german_sqlite(path, SalonData())
    with pytest.raises(SyncError, match=r"reading salons failed: no such table: salons; give a query in source.queries.salons"):
        sync_url(mirror, f"sqlite:///{path}")


def test_bad_url_rejected():
    with pytest.raises(SyncError, match="is not a valid SQLAlchemy URL"):
        SqlSource("not a url")
    with pytest.raises(SyncError, match="driver .* is not installed|cannot connect|not installed"):
        SqlSource("oracle+nosuchdriver://user:geheim@127.0.0.1/db")


def test_sqlite_source_is_read_only(tmp_path):
    path = SalonData().write_sqlite(tmp_path / "salon.sqlite")
    source = SqlSource(f"sqlite:///{path}")
    try:
        with pytest.raises(Exception, match="readonly|read-only|query_only|attempt to write"):
            source.connection.exec_driver_sql("DELETE FROM salons")
    finally:
        source.close()


# -- PostgreSQL -------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("SMSCONFIRM_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but SMSCONFIRM_TEST_PG_URL is unset: .ci/run must start PostgreSQL first")
        pytest.skip(PG_HINT)
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sqlalchemy.exc.SQLAlchemyError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but PostgreSQL at SMSCONFIRM_TEST_PG_URL is not reachable: {error}")
        pytest.skip(f"{PG_HINT}; the server at SMSCONFIRM_TEST_PG_URL is not reachable")
    return url


@pytest.fixture
def pg_schema(pg_url):
    """A fresh schema per test, dropped afterwards; yields (admin connection, URL that reads the schema)."""
    import psycopg

    schema = f"sync_{uuid.uuid4().hex[:12]}"
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    connection = psycopg.connect(plain, autocommit=True)
    connection.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{separator}options=-csearch_path%3D{schema}"
    try:
        yield connection, schema, url
    finally:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")
        connection.close()


def load_pg(connection, schema: str, data: SalonData) -> None:
    """Create the salon database shape with PostgreSQL types and load the rows."""
    connection.execute(
        f"CREATE TABLE {schema}.salons (id text PRIMARY KEY, name text, phone text, canton char(2), sender text);"
        f"CREATE TABLE {schema}.clients (id text PRIMARY KEY, first_name text, last_name text, mobile_phone text,"
        " home_phone text, work_phone text, language text, confirm_sms boolean, confirm_days integer,"
        " updated_at timestamp);"
        f"CREATE TABLE {schema}.appointments (id text, client_id text, salon_id text, starts_at timestamp,"
        " ends_at timestamp, service text, staff text, status text, updated_at timestamp)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {schema}.salons VALUES (%s, %s, %s, %s, %s)",
                           [tuple(row.values()) for row in data.salons])
        cursor.executemany(
            f"INSERT INTO {schema}.clients VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(*list(row.values())[:7], bool(row["confirm_sms"]), row["confirm_days"],
              datetime.fromisoformat(row["updated_at"])) for row in data.clients],
        )
        cursor.executemany(
            f"INSERT INTO {schema}.appointments VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(row["id"], row["client_id"], row["salon_id"], datetime.fromisoformat(row["starts_at"]),
              datetime.fromisoformat(row["ends_at"]) if row["ends_at"] else None, row["service"], row["staff"],
              row["status"], datetime.fromisoformat(row["updated_at"])) for row in data.appointments],
        )


def test_postgres_sync_and_resync(mirror, pg_schema):
    connection, schema, url = pg_schema
    load_pg(connection, schema, SalonData())
    summary = sync_url(mirror, url)
    assert summary.new == 6
    assert summary.skipped == []
    lines = mirror.appointment_lines(date(2026, 12, 7), date(2026, 12, 8))
    assert [str(line.starts_at) for line in lines] == ["2026-12-07 10:00:00", "2026-12-07 10:45:00", "2026-12-08 14:00:00"]
    first = mirror.client("K1")
    assert (first.sms_on, first.lead_days) == (True, 2)

    again = sync_url(mirror, url)
    assert (again.new, again.changed, again.removed) == (0, 0, 0)


def test_postgres_resync_keeps_local_state(mirror, pg_schema):
    connection, schema, url = pg_schema
    load_pg(connection, schema, SalonData())
    sync_url(mirror, url)
    save_profile(mirror, "K2", sms_on=True, lead_days=3, language="fr", actor="anna", now=NOW)
    before = mirror_snapshot(mirror)

    connection.execute(f"UPDATE {schema}.appointments SET service = 'Föhnen' WHERE id = 'A1'")
    connection.execute(f"DELETE FROM {schema}.appointments WHERE id = 'A3'")
    summary = sync_url(mirror, url)
    assert summary.tables["appointments"].changed == 1
    assert summary.tables["appointments"].removed == 1
    after = mirror_snapshot(mirror)
    assert after["profile_edits"] == before["profile_edits"]
    assert after["audit_log"] == before["audit_log"]
    assert mirror.client("K2").lead_days == 3


def test_postgres_configured_queries_and_bad_rows(mirror, pg_schema):
    connection, schema, url = pg_schema
    data = SalonData()
    data.appointments.append(appointment("A9", "K404"))

    connection.execute(
        f"CREATE TABLE {schema}.filialen (filiale text, name text, telefon text, kanton text, absender text);"
        f"CREATE TABLE {schema}.kunden (kunden_nr integer, vorname text, nachname text, natel text,"
        " tel_privat text, sprache text, sms smallint, tage numeric(3, 0), geaendert timestamp);"
        f"CREATE TABLE {schema}.termine (termin_nr text, kunden_nr integer, filiale text, beginn timestamp,"
        " ende timestamp, leistung text, mitarbeiter text, status text, geaendert timestamp)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {schema}.filialen VALUES (%s, %s, %s, %s, %s)",
                           [tuple(row.values()) for row in data.salons])
        cursor.executemany(
            f"INSERT INTO {schema}.kunden VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(int(row["id"][1:]), row["first_name"], row["last_name"], row["mobile_phone"], row["home_phone"],
              row["language"], row["confirm_sms"], row["confirm_days"], datetime.fromisoformat(row["updated_at"]))
             for row in data.clients],
        )
        cursor.executemany(
            f"INSERT INTO {schema}.termine VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(row["id"], int(row["client_id"][1:]), row["salon_id"], datetime.fromisoformat(row["starts_at"]),
              datetime.fromisoformat(row["ends_at"]), row["service"], row["staff"], row["status"],
              datetime.fromisoformat(row["updated_at"])) for row in data.appointments],
        )
    summary = sync_url(mirror, url, GERMAN_QUERIES)
    assert summary.tables["clients"].new == 2
    assert summary.tables["appointments"].new == 3
    assert [(row.row_id, row.reason) for row in summary.skipped] == [("A9", "unknown client '404'")]
    client = mirror.client("1")
    assert (client.sms_on, client.lead_days) == (True, 2)
    assert sync_url(mirror, url, GERMAN_QUERIES).changed == 0


def test_postgres_never_written(pg_schema):
    connection, schema, url = pg_schema
    load_pg(connection, schema, SalonData())
    source = SqlSource(url)
    try:
        with pytest.raises(Exception, match="read-only transaction"):
            source.connection.exec_driver_sql("DELETE FROM salons")
    finally:
        source.close()


def test_postgres_wrong_password_hidden(pg_url):
    import sqlalchemy

    url = sqlalchemy.make_url(pg_url).set(password="falsches-geheimnis")
    with pytest.raises(SyncError) as raised:
        SqlSource(url.render_as_string(hide_password=False))
    assert "falsches-geheimnis" not in str(raised.value)
    assert "password authentication failed" in str(raised.value)
    assert "cannot connect to database postgresql+psycopg://smsconfirm:***@" in str(raised.value)


def test_sql_server_driver_wired():
    # Port 1 on loopback refuses at once: this checks the pymssql dialect and the hidden password only.
    with pytest.raises(SyncError) as raised:
        SqlSource("mssql+pymssql://reader:geheim@127.0.0.1:1/salon?login_timeout=2")
    message = str(raised.value)
    assert message.startswith("cannot connect to database mssql+pymssql://reader:***@127.0.0.1:1/salon")
    assert "geheim" not in message
