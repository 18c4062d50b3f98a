"""``smsconfirm explain``: why a visit has its status, for support technicians."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from smsconfirm_tui.commands.common import add_home_option, fixed_clock, prepare, print_visible

EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show why a visit has its status, due day and SMS",
        description=(
            "Show why a visit has its status: the rule that decided, the due day and every "
            "closed day that moved it, whether the visit moved, the number as read, and the "
            "latest SMS and reply. Reads the local mirror only; nothing is sent."
        ),
    )
    add_home_option(parser)
    parser.add_argument(
        "visit",
        metavar="VISIT",
        help="visit key such as S1/K00017/2026-12-05, or a client id followed by DATE",
    )
    parser.add_argument(
        "date",
        metavar="DATE",
        nargs="?",
        help="with a client id: the visit date as 2026-12-05, 05.12.2026 or 5.12.",
    )
    parser.add_argument(
        "--now", help="judge the due state at this Zurich time, e.g. 2026-12-04T09:00 (default: now)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    from smsconfirm_tui.commands.check_phone_due import UsageError, parse_visit_date
    from smsconfirm_tui.domain.calendar import zurich_now, zurich_today
    from smsconfirm_tui.explain import VisitNotFound, explain_client_day, explain_visit
    from smsconfirm_tui.routine import Routine

    paths, config = prepare(args)
    if not paths.mirror.exists():
        print(f"smsconfirm explain: no mirror at {paths.mirror}: run smsconfirm sync first",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        clock = fixed_clock(args.now) or zurich_now
    except ValueError:
        print(f"smsconfirm explain: invalid --now {args.now!r}: use an ISO time such as "
              "2026-12-04T09:00", file=sys.stderr)
        return EXIT_USAGE

    routine = Routine(config, paths.mirror, _no_gateway, clock=clock)
    try:
        if args.date is None:
            result = explain_visit(routine, args.visit)
        else:
            day = parse_visit_date(args.date, today=zurich_today(clock()))
            result = explain_client_day(routine, args.visit, day)
    except (ValueError, UsageError) as error:
        print_visible(f"smsconfirm explain: {error}", file=sys.stderr)
        return EXIT_USAGE
    except VisitNotFound as error:
        print_visible(f"smsconfirm explain: {error}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        routine.close()

    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print("\n".join(format_explanation(result)))
    return 0


def _no_gateway():
    raise RuntimeError("smsconfirm explain reads the mirror only and never uses the SMS gateway")


def format_explanation(result: dict[str, Any]) -> list[str]:
    """Lay out an explanation as aligned text lines, with untrusted text made printable."""
    lines = [
        f"visit       {_printable(result['visit'])}",
        f"client      {_printable(result['client']['id'])} {_printable(result['client']['name'])}",
        f"salon       {_printable(result['salon']['id'])} {_printable(result['salon']['name'])}",
        f"starts at   {result['starts_at']}",
        f"status      {result['status']}",
        f"rule        {result['rule']}",
    ]
    if result["moved"]:
        lines.append(f"moved       {_printable(result['moved_because'])}")

    due = result["due"]
    lines += [
        "",
        "due",
        f"  lead days   {due['lead_days']}, {due['lead_source']}",
        f"  due day     {due['due_day']} {due['due_weekday']}",
        f"  state       {due['state']}: {due['reason']}",
        f"  calendar    canton {due['canton']}, open {', '.join(due['open_days'])}, "
        f"minimum notice {due['min_notice_hours']:g} h",
    ]
    lines += [f"  moved back  {move}" for move in due["moves"]]

    number = result["number"]
    profile = result["profile"]
    lines += [
        "",
        "number",
        *[_field_line(name, number["fields"][name]) for name in ("mobile", "home", "work")],
        f"  read from   {number['field'] or '-'}",
        f"  as read     {number['e164'] or '-'} ({number['kind']}), shown as {number['display'] or '-'}",
    ]
    if number["note"]:
        lines.append(f"  note        {_printable(number['note'])}")
    if number["unsure"]:
        lines.append("  unsure      the number may be a landline: its type is fixed line or mobile")
    if number["invalid_fields"]:
        lines.append(f"  invalid in  {number['invalid_fields']}")
    lines.append(
        f"  profile     SMS {'on' if profile['sms_on'] else 'off'}"
        f"{', opted out' if profile['opted_out'] else ''}, language {profile['language'] or '-'}"
    )

    lines += ["", "lines"]
    for line in result["lines"]:
        mark = "" if line["counts"] else " (does not count)"
        lines.append(
            f"  {line['starts_at']}  {_printable(line['service'])} · {_printable(line['staff'])} · "
            f"{_printable(line['status'])}{mark}  [{_printable(line['id'])}]"
        )

    message = result["message"]
    lines += ["", "latest SMS"]
    if message is None:
        lines.append("  none")
    else:
        lines += [
            f"  state       {message['state']} (reference {message['reference']})",
            f"  confirms    {message['visit_starts_at']} for {_printable(message['visit'])}",
            f"  written     {message['created_at']}, sent {message['sent_at'] or '-'}",
        ]
        if message["error"]:
            lines.append(f"  error       {_printable(message['error'])}")
        if message["delivery"]:
            lines.append(f"  delivery    {_printable(message['delivery'])}")

    reply = result["reply"]
    lines += ["", "latest reply"]
    if reply is None:
        lines.append("  none")
    else:
        resolution = f", set to {reply['resolution']} by staff" if reply["resolution"] else ""
        lines += [
            f"  class       {reply['class']}{resolution} ({_printable(reply['rule'])})",
            f"  received    {reply['received_at']}",
            f"  text        {_printable(reply['text'])}",
        ]
    return lines


def _field_line(name: str, field: dict[str, Any]) -> str:
    if not field["typed"].strip():
        return f"  {name:<10}  -"
    reading = field["problem"] or f"{field['e164'] or '-'} {field['kind']}"
    sms = "SMS possible" if field["sms_capable"] else "no SMS"
    return f"  {name:<10}  {_printable(field['typed'])} -> {_printable(reading)}, {sms}"


def _printable(value: object) -> str:
    """Escape control characters, so text from the salon database or a reply cannot drive the terminal."""
    if value is None:
        return ""
    text = str(value)
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
                   for char in text)
