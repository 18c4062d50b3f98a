"""``smsconfirm check number`` and ``check due``: how the product reads a number and a date.

Support technicians use them to find out "why did this client get no SMS?"
and "why did the SMS go out on Saturday?" without opening the app.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

Handler = Callable[[argparse.Namespace], int]

EXIT_USAGE = 2

# Lead times listed by ``check due``: the client profiles use a few days,
# rarely more than a week.
SHOWN_LEAD_DAYS = range(0, 8)

WEEKDAY_ABBREVIATIONS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Swiss date with an optional year: "10.06.2025", "10.6.2025", "10.6." or "10.6".
SWISS_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.?(\d{4})?")


class UsageError(ValueError):
    """Invalid command-line value, reported on stderr with exit code 2."""


def register_check(check_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    number_parser = check_subparsers.add_parser(
        "number",
        help="show how a typed phone number is read and whether it can take an SMS",
        description="Show how the product reads a phone number as staff typed it.",
    )
    number_parser.add_argument(
        "text", metavar="TEXT", help='the number as typed, e.g. "079 000 00 12 (Mama)"'
    )
    number_parser.add_argument(
        "--region",
        default="CH",
        help="two-letter country code for numbers typed without a country code (default: CH)",
    )
    number_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    number_parser.set_defaults(handler=_report_errors(check_number))

    due_parser = check_subparsers.add_parser(
        "due",
        help="show on which day the SMS for a visit date goes out, for lead times 0 to 7 days",
        description=(
            "Show the due day of a visit for each lead time from 0 to 7 days, "
            "and every closed day that moved it back."
        ),
    )
    due_parser.add_argument(
        "date", metavar="DATE", help="visit date as 2025-06-10, 10.06.2025 or 10.6. (current year)"
    )
    due_parser.add_argument(
        "--canton", default="ZH", help="two-letter canton code for public holidays (default: ZH)"
    )
    due_parser.add_argument(
        "--open-days",
        default="mon-sat",
        help="weekdays the salon opens, as a list or range: mon,tue,… or tue-sat "
        "(default: mon-sat)",
    )
    due_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    due_parser.set_defaults(handler=_report_errors(check_due_days))


# The handlers import their dependencies when they run. The domain modules
# load phonenumbers and holidays (about 75 ms, measured once with
# python -X importtime), which every other command would pay for at start-up.
# The check module imports this one to register it, so importing
# print_result at the top would be circular.


def check_number(args: argparse.Namespace) -> int:
    import phonenumbers

    from smsconfirm_tui.commands.check import print_result
    from smsconfirm_tui.domain.phone import parse_phone

    region = args.region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            f"unknown region {args.region!r}: use a two-letter country code such as CH, DE or FR"
        )
    number = parse_phone(args.text, default_region=region)
    result: dict[str, Any] = {
        "typed": number.typed,
        "e164": number.e164,
        "kind": str(number.kind),
        "sms_capable": number.sms_capable,
        "unsure": number.unsure,
        "display": number.display,
        "note": number.note or None,
        "problem": number.problem,
        "region": number.region,
    }
    if not args.json:
        result = {key: _yes_no(value) for key, value in result.items()}
    print_result(result, args.json)
    return 0


def check_due_days(args: argparse.Namespace) -> int:
    from smsconfirm_tui.domain.calendar import SalonCalendar, due_day, zurich_today

    visit_date = parse_visit_date(args.date, today=zurich_today())
    open_weekdays = parse_open_days(args.open_days)
    try:
        calendar = SalonCalendar(canton=args.canton, open_weekdays=open_weekdays)
    except ValueError as error:
        raise UsageError(str(error)) from error

    rows = [due_day(calendar, visit_date, lead) for lead in SHOWN_LEAD_DAYS]
    result: dict[str, Any] = {
        "visit_date": visit_date.isoformat(),
        "visit_weekday": WEEKDAY_NAMES[visit_date.weekday()],
        "canton": calendar.canton,
        "open_days": [WEEKDAY_ABBREVIATIONS[day] for day in sorted(calendar.open_weekdays)],
        "visit_day_closed": calendar.closed_reason(visit_date),
        "due_days": [
            {
                "lead_days": row.lead_days,
                "due": row.due.isoformat(),
                "weekday": WEEKDAY_NAMES[row.due.weekday()],
                "moves": list(row.moves),
            }
            for row in rows
        ],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_due_table(result)
    return 0


def parse_visit_date(text: str, today: date) -> date:
    """Parse a date typed as ``2025-06-10``, ``10.06.2025`` or ``10.6.`` (the year of ``today``)."""
    value = text.strip()
    try:
        swiss = SWISS_DATE.fullmatch(value)
        if swiss is not None:
            day, month, year = swiss.groups()
            return date(int(year) if year else today.year, int(month), int(day))
        return date.fromisoformat(value)
    except ValueError as error:
        raise UsageError(
            f"invalid date {text!r}: use YYYY-MM-DD, DD.MM.YYYY or DD.MM. (current year)"
        ) from error


def parse_open_days(text: str) -> frozenset[int]:
    """Parse weekdays such as ``mon,tue,fri``, ``tue-sat`` or ``fri-mon``, 0 for Monday."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        start = _weekday_number(first, text)
        end = _weekday_number(last, text) if last else start
        # A range may wrap past Sunday: "fri-mon" is Friday to Monday.
        length = (end - start) % 7 + 1
        days.update((start + offset) % 7 for offset in range(length))
    if not days:
        raise UsageError(f"no open days in {text!r}: list at least one weekday, e.g. mon-sat")
    return frozenset(days)


def _weekday_number(name: str, text: str) -> int:
    for number, full_name in enumerate(WEEKDAY_NAMES):
        if name in (WEEKDAY_ABBREVIATIONS[number], full_name.lower()):
            return number
    raise UsageError(
        f"unknown weekday {name!r} in {text!r}: use {', '.join(WEEKDAY_ABBREVIATIONS)}"
    )


def _print_due_table(result: dict[str, Any]) -> None:
    closed = result["visit_day_closed"]
    print(f"visit date  {result['visit_date']} {result['visit_weekday']}")
    print(f"canton      {result['canton']}")
    print(f"open days   {', '.join(result['open_days'])}")
    if closed is not None:
        print(f"note        the salon is closed on the visit date ({closed})")
    print()
    print("lead days  due day                 moved back because")
    for row in result["due_days"]:
        due = f"{row['due']} {row['weekday']}"
        moves = "; ".join(row["moves"]) or "-"
        print(f"{row['lead_days']:>9}  {due:<22}  {moves}")


def _yes_no(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _report_errors(handler: Handler) -> Handler:
    """Wrap a handler so that a UsageError prints one line on stderr and returns exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except UsageError as error:
            print(f"smsconfirm check: {error}", file=sys.stderr)
            return EXIT_USAGE

    return run
