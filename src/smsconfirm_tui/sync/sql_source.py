"""Read the salon database from any SQL server that SQLAlchemy reaches by URL.

Each table is read with a query, by default ``SELECT <columns> FROM
<table>``. A salon system with other table or column names gets one
configured query per table that returns the salon database columns under
their names, for example ``SELECT KundenNr AS id, Vorname AS first_name …``.
Rows are streamed (server-side cursors where the driver has them), so memory
does not grow with the table.

The product never writes to the salon database: it only runs the SELECT
queries, and on PostgreSQL and SQLite the session is also switched to read
only. Use a login that can only read, all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from smsconfirm_tui.sync.errors import SyncError
from smsconfirm_tui.sync.shape import SOURCE_COLUMNS, to_text

log = logging.getLogger(__name__)

# Rows fetched from the server per round trip.
FETCH_ROWS = 2000


class SqlSource:
    """A salon database behind a SQLAlchemy URL, read with one query per table."""

    def __init__(self, url: str, queries: dict[str, str] | None = None) -> None:
        try:
            import sqlalchemy
        except ImportError as error:  # pragma: no cover - sqlalchemy is a dependency
            raise SyncError("SQLAlchemy is not installed: run pip install sqlalchemy") from error
        self._sqlalchemy = sqlalchemy
        try:
            self.url = sqlalchemy.make_url(url)
        except sqlalchemy.exc.ArgumentError as error:
            raise SyncError(
                f"source URL {_hide_password(url)!r} is not a valid SQLAlchemy URL: "
                "write it as dialect+driver://user:password@host:port/database"
            ) from error
        self.queries = {
            table: (queries or {}).get(table) or f"SELECT {', '.join(columns)} FROM {table}"
            for table, columns in SOURCE_COLUMNS.items()
        }
        self._configured = set(queries or {})
        try:
            self.engine = sqlalchemy.create_engine(self.url, poolclass=sqlalchemy.pool.NullPool)
            self.connection = self.engine.connect()
            self._make_read_only()
        except ImportError as error:
            raise SyncError(
                f"the database driver for {self.describe()} is not installed: {error}; "
                "install it with pip (psycopg[binary] for PostgreSQL, pymssql for SQL Server)"
            ) from error
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise SyncError(f"cannot connect to {self.describe()}: {_first_line(error)}") from error

    def describe(self) -> str:
        return f"database {self.url.render_as_string(hide_password=True)}"

    def _make_read_only(self) -> None:
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            # This sets the default for the following transactions, so end the current one.
            self.connection.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            self.connection.commit()
        elif dialect == "sqlite":
            self.connection.exec_driver_sql("PRAGMA query_only = ON")

    def count(self, table: str) -> int | None:
        """Count the rows of a table read with the default query; None for configured queries."""
        if table in self._configured:
            return None
        try:
            return int(self.connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
        except self._sqlalchemy.exc.SQLAlchemyError as error:
            self.connection.rollback()
            log.warning("counting %s in %s failed: %s", table, self.describe(), _first_line(error))
            return None

    def rows(self, table: str) -> Iterator[dict[str, object]]:
        columns = SOURCE_COLUMNS[table]
        query = self.queries[table]
        sqlalchemy = self._sqlalchemy
        try:
            result = self.connection.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(
                sqlalchemy.text(query)
            )
        except sqlalchemy.exc.SQLAlchemyError as error:
            self.connection.rollback()
            if table in self._configured:
                hint = f"check source.queries.{table} in the config"
            else:
                hint = f"give a query in source.queries.{table} that returns the columns {', '.join(columns)}"
            raise SyncError(f"{self.describe()}: reading {table} failed: {_first_line(error)}; {hint}") from error
        with result:
            keys = [key.lower() for key in result.keys()]
            missing = [column for column in columns if column not in keys]
            if missing:
                raise SyncError(
                    f"{self.describe()}: the query for {table} returns no column {', '.join(missing)}: "
                    f"name the columns with AS in source.queries.{table}"
                )
            positions = [keys.index(column) for column in columns]
            try:
                for values in result:
                    yield {column: to_text(values[position]) for column, position in zip(columns, positions)}
            except sqlalchemy.exc.SQLAlchemyError as error:
                raise SyncError(f"{self.describe()}: reading {table} failed: {_first_line(error)}") from error

    def close(self) -> None:
        try:
            self.connection.rollback()
            self.connection.close()
        finally:
            self.engine.dispose()


def _first_line(error: BaseException) -> str:
    """Return the first line of a driver error, without SQLAlchemy's background link."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _hide_password(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        credentials, _, host = authority.rpartition("@")
        user = credentials.partition(":")[0]
        authority = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
    return f"{scheme}{separator}{authority}{slash}{tail}"
