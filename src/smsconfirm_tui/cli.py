"""The ``smsconfirm`` command line: the app, demo mode and support commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from smsconfirm_tui import __version__
from smsconfirm_tui.commands import COMMAND_MODULES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smsconfirm",
        description="SMS appointment confirmations for salons.",
    )
    parser.add_argument("--version", action="version", version=f"smsconfirm {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
