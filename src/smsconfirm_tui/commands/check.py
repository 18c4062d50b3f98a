"""``smsconfirm check …``: how the product reads a number, a date, a text, a reply."""

from __future__ import annotations

import argparse
import json
from typing import Any

from smsconfirm_tui.commands import check_phone_due, check_text_reply

# Modules that add a ``check`` subcommand through ``register_check(subparsers)``.
CHECK_MODULES: list[Any] = [check_phone_due, check_text_reply]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="show how a number, date, text or reply is read",
        description="Support tools: show how the product reads an input and why.",
    )
    check_subparsers = parser.add_subparsers(title="what to check", metavar="WHAT")
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
    for module in CHECK_MODULES:
        module.register_check(check_subparsers)


def print_result(result: dict[str, Any], as_json: bool) -> None:
    """Print a check result as JSON or as aligned ``key: value`` lines."""
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    from smsconfirm_tui.domain.text import visible

    width = max((len(key) for key in result), default=0)
    for key, value in result.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value) or "-"
        elif value is None:
            value = "-"
        # The checked text comes from outside: no escape sequence reaches the terminal.
        print(f"{key.ljust(width)}  {visible(str(value))}")
