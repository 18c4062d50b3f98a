"""``smsconfirm sync``: read the salon database into the mirror."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from smsconfirm_tui.commands.common import add_home_option, prepare, print_visible, with_source
from smsconfirm_tui.domain.text import visible

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from smsconfirm_tui.config import Config
    from smsconfirm_tui.store.mirror import Mirror
    from smsconfirm_tui.sync.errors import SyncSummary

log = logging.getLogger(__name__)

# The exit code of a command that Ctrl+C (SIGINT) stopped, as shells report it.
EXIT_INTERRUPTED = 130

# Skipped rows listed one by one; the rest are counted.
SHOWN_SKIPPED = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="read the salon database into the mirror",
        description="Read salons, clients and appointments from the salon database (a SQLite file, "
        "a SQL server or CSV exports, as set in [source] of the config) into the mirror. "
        "Local profile edits, messages, replies and the audit log are kept.",
    )
    add_home_option(parser)
    parser.add_argument(
        "--source",
        type=Path,
        help="read this salon database (SQLite file) in place of the [source] in the config",
    )
    parser.set_defaults(handler=run_sync)


class ProgressPrinter:
    """Print sync progress to a stream: one updating line on a terminal, one line per table elsewhere."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        # A CSV re-sync reports reading a table twice: when staging it and when merging it.
        self._printed: set[str] = set()

    def __call__(self, progress) -> None:
        if progress.step == "merge":
            text = f"merging {progress.table} ({progress.done + 1}/{progress.total})"
        elif progress.total is not None:
            text = f"reading {progress.table}: {progress.done}/{progress.total} rows"
        else:
            text = f"reading {progress.table}: {progress.done} rows"
        text = visible(text)
        if self.live:
            self.stream.write(f"\r\x1b[K{text}")
            self.stream.flush()
        elif progress.step == "merge" or progress.done == progress.total:
            if text not in self._printed:
                print(text, file=self.stream)
                self._printed.add(text)

    def finish(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


@contextmanager
def cancel_on_interrupt() -> Iterator[threading.Event]:
    """Turn the first Ctrl+C into a cancel request by setting the returned event.

    The sync checks the event between batches, and at its next check it
    rolls back and raises SyncCancelled. The first Ctrl+C also gives SIGINT
    back to Python's handler, so a second one raises KeyboardInterrupt
    without waiting for a check. That stops a source that blocks between
    checks, such as a SQL server that does not respond, as far as its
    driver lets the signal through. A SIGINT that is ignored (``nohup``) or
    handled elsewhere is left as it is, and so is every SIGINT outside the
    main thread.
    """
    requested = threading.Event()

    def request_cancel(signum: int, frame: object) -> None:
        requested.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler or threading.current_thread() is not threading.main_thread():
        yield requested
        return
    signal.signal(signal.SIGINT, request_cancel)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)


def run_sync(args: argparse.Namespace) -> int:
    from smsconfirm_tui.domain.calendar import zurich_now
    from smsconfirm_tui.store.mirror import Mirror
    from smsconfirm_tui.sync.errors import SyncCancelled, SyncError

    with cancel_on_interrupt() as cancel_requested:
        paths, config = prepare(args)
        config = with_source(config, args.source)
        if config.source is None:
            print_visible(
                f"smsconfirm: no salon database given: pass --source FILE or set [source] in {paths.config_file}",
                file=sys.stderr,
            )
            return 2
        printer = ProgressPrinter(sys.stderr)
        mirror = Mirror(paths.mirror)
        now = zurich_now()
        synced_before = mirror.get_meta("last_sync_at")
        try:
            summary = _merge(mirror, config, now, printer, cancel_requested.is_set)
        except SyncCancelled:
            printer.finish()
            log.warning("sync cancelled by Ctrl+C, the mirror is unchanged")
            print_visible("smsconfirm: sync cancelled, the mirror is unchanged", file=sys.stderr)
            return EXIT_INTERRUPTED
        except SyncError as error:
            printer.finish()
            log.warning("sync failed, the mirror is unchanged: %s", error)
            print_visible(f"smsconfirm: sync failed, the mirror is unchanged: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            printer.finish()
            return _report_stopped(mirror, now.isoformat(timespec="seconds"), synced_before)
        finally:
            mirror.close()
        printer.finish()
        _print_summary(summary)
        if cancel_requested.is_set():
            print_visible("smsconfirm: the sync had finished before Ctrl+C took effect", file=sys.stderr)
    return 0


def _merge(
    mirror: Mirror, config: Config, now: datetime, printer: ProgressPrinter, is_cancelled: Callable[[], bool]
) -> SyncSummary:
    from smsconfirm_tui.sync.merge import merge_source
    from smsconfirm_tui.sync.sources import open_source

    source = open_source(config.source)
    try:
        return merge_source(
            mirror, source, now=now, actor=config.actor, progress=printer, is_cancelled=is_cancelled
        )
    finally:
        source.close()


def _report_stopped(mirror: Mirror, stamp: str, synced_before: str | None) -> int:
    """Report whether a sync that a second Ctrl+C stopped had committed, judged by the last_sync_at it writes."""
    if mirror.connection.in_transaction:
        mirror.connection.rollback()
    # NOTE: a sync that committed within the same second as the one before
    # it writes an unchanged stamp, and is reported as not committed.
    committed = synced_before != stamp and mirror.get_meta("last_sync_at") == stamp
    if committed:
        log.warning("sync stopped by a second Ctrl+C after it had updated the mirror")
        print_visible("smsconfirm: sync stopped after it had updated the mirror", file=sys.stderr)
    else:
        log.warning("sync stopped by a second Ctrl+C, the mirror is unchanged")
        print_visible("smsconfirm: sync cancelled, the mirror is unchanged", file=sys.stderr)
    return EXIT_INTERRUPTED


def _print_summary(summary: SyncSummary) -> None:
    """Print a finished sync's figures per table and the first skipped rows with their reasons."""
    print_visible(f"sync done: {summary.describe()}")
    for table, counts in summary.tables.items():
        print_visible(
            f"  {table}: {counts.new} new, {counts.changed} changed, {counts.removed} removed, "
            f"{counts.unchanged} unchanged, {counts.skipped} skipped"
        )
    for skipped in summary.skipped[:SHOWN_SKIPPED]:
        where = f" (line {skipped.line})" if skipped.line is not None else ""
        print_visible(f"  skipped {skipped.table} {skipped.row_id!r}{where}: {skipped.reason}")
    if summary.skipped_total > SHOWN_SKIPPED:
        print_visible(f"  … and {summary.skipped_total - SHOWN_SKIPPED} more skipped rows (see the log file)")
