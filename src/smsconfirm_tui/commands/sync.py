"""``smsconfirm sync``: read the salon database into the mirror."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from smsconfirm_tui.commands.common import add_home_option, prepare, print_visible, with_source
from smsconfirm_tui.domain.text import visible

if TYPE_CHECKING:
    from smsconfirm_tui.sync.errors import SyncSummary

log = logging.getLogger(__name__)

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
        self._last_table = ""

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
            if text != self._last_table:
                print(text, file=self.stream)
                self._last_table = text

    def finish(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def run_sync(args: argparse.Namespace) -> int:
    from smsconfirm_tui.domain.calendar import zurich_now
    from smsconfirm_tui.store.mirror import Mirror
    from smsconfirm_tui.sync.errors import SyncError
    from smsconfirm_tui.sync.merge import merge_source
    from smsconfirm_tui.sync.sources import open_source

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
    try:
        source = open_source(config.source)
        try:
            summary = merge_source(mirror, source, now=zurich_now(), actor=config.actor, progress=printer)
        finally:
            source.close()
    except SyncError as error:
        printer.finish()
        log.warning("sync failed, the mirror is unchanged: %s", error)
        print_visible(f"smsconfirm: sync failed, the mirror is unchanged: {error}", file=sys.stderr)
        return 1
    finally:
        mirror.close()
    printer.finish()
    _print_summary(summary)
    return 0


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
