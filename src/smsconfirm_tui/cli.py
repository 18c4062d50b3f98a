"""The ``smsconfirm`` command line: the app, demo mode and support commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from smsconfirm_tui import __version__
from smsconfirm_tui.commands import COMMAND_MODULES


class CommandListFormatter(argparse.HelpFormatter):
    """Keep each subcommand and its help on one line.

    argparse measures subcommand names without their extra indent, so a long
    name such as ``demo-gateway`` would push its help onto the next line.
    """

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)
        self._action_max_length = 20


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smsconfirm",
        description="SMS appointment confirmations for salons.",
        formatter_class=CommandListFormatter,
    )
    parser.add_argument("--version", action="version", version=f"smsconfirm {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The mirror, the logs and the demo files hold client data: no access for
    # other users. The group keeps access, so staff accounts can share a mirror.
    os.umask(0o007)
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except BrokenPipeError:
        # The reader went away (for example `smsconfirm check … | head`).
        # Point stdout at nothing so the interpreter's final flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
