"""``smsconfirm check text`` and ``smsconfirm check reply``: SMS cost and reply reading."""

from __future__ import annotations

import argparse
from typing import Any

# A module import, because `check` imports this module while it is still
# initialising and has not defined `print_result` yet.
from smsconfirm_tui.commands import check
from smsconfirm_tui.domain.replies import classify_reply
from smsconfirm_tui.domain.sms_text import Encoding, count_units, segment_info, split_segments


def register_check(check_subparsers: argparse._SubParsersAction) -> None:
    text_parser = check_subparsers.add_parser(
        "text",
        help="show the encoding and number of SMS segments of a message text",
        description=(
            "Show how a message text is sent: GSM-7 or UCS-2, its size in "
            "septets or UTF-16 units, the number of SMS segments, and the "
            "characters that forced UCS-2."
        ),
    )
    text_parser.add_argument("text", metavar="TEXT", help="message text, quoted as one argument")
    text_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    text_parser.set_defaults(handler=run_text_check)

    reply_parser = check_subparsers.add_parser(
        "reply",
        help="show how a client's SMS reply is classified",
        description="Show whether a reply counts as yes, no, stop or unclear, and the rule that decided.",
    )
    reply_parser.add_argument("text", metavar="TEXT", help="reply text, quoted as one argument")
    reply_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    reply_parser.set_defaults(handler=run_reply_check)


def describe_char(char: str) -> str:
    """Return a character with its code point, e.g. ``ç U+00E7``.

    A control or other unprintable character is shown escaped, so that it
    cannot change the terminal.
    """
    printable = char if char.isprintable() else ascii(char)
    return f"{printable} U+{ord(char):04X}"


def run_text_check(args: argparse.Namespace) -> int:
    info = segment_info(args.text)
    result: dict[str, Any] = {
        "encoding": str(info.encoding),
        "units": info.units,
        "unit": "septets" if info.encoding is Encoding.GSM7 else "UTF-16 units",
        "segments": info.segments,
        "per_segment": info.per_segment,
        "segment_units": [count_units(part, info.encoding) for part in split_segments(args.text)],
        "forcing_chars": [describe_char(char) for char in info.forcing_chars],
        "normalized": info.text != args.text,
    }
    if args.json:
        result["text"] = info.text
    check.print_result(result, args.json)
    return 0


def run_reply_check(args: argparse.Namespace) -> int:
    classification = classify_reply(args.text)
    result = {"class": str(classification.reply_class), "rule": classification.rule}
    check.print_result(result, args.json)
    return 0

