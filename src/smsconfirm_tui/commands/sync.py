"""``smsconfirm sync``: read the salon database into the mirror."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smsconfirm_tui.commands.common import add_home_option, prepare, with_source


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="read the salon database into the mirror",
        description="Read clients and appointments from the salon database into the mirror. "
        "Local profile edits, messages, replies and the audit log are kept.",
    )
    add_home_option(parser)
    parser.add_argument("--source", type=Path, help="salon database (SQLite file); default: 'source' in the config")
    parser.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    from smsconfirm_tui.domain.calendar import zurich_now
    from smsconfirm_tui.store.mirror import Mirror
    from smsconfirm_tui.sync.errors import SyncError
    from smsconfirm_tui.sync.merge import merge_source
    from smsconfirm_tui.sync.salon_db import SqliteSource

    paths, config = prepare(args)
    config = with_source(config, args.source)
    if config.source is None:
        print(f"smsconfirm: no salon database given: pass --source FILE or set 'source' in {paths.config_file}",
              file=sys.stderr)
        return 2
    mirror = Mirror(paths.mirror)
    try:
        source = SqliteSource(config.source)
        summary = merge_source(
            mirror, source, now=zurich_now(),
            progress=lambda table, count: print(f"  {table}: {count} rows read", file=sys.stderr),
        )
    except SyncError as error:
        print(f"smsconfirm: sync failed, the mirror is unchanged: {error}", file=sys.stderr)
        return 1
    finally:
        mirror.close()
    print(f"sync done: {summary.describe()}")
    for skipped in summary.skipped[:20]:
        print(f"  skipped {skipped.table} {skipped.row_id}: {skipped.reason}")
    if len(summary.skipped) > 20:
        print(f"  … and {len(summary.skipped) - 20} more skipped rows")
    return 0
