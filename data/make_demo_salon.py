"""Write a demo salon database (SQLite) and print what it contains.

Usage: python data/make_demo_salon.py OUT.db [--today YYYY-MM-DD] [--seed N] [--clients N]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from smsconfirm_tui.demo.salon import generate_salon_db


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: expected YYYY-MM-DD, e.g. 2025-03-12") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a demo salon database in the salon database shape.")
    parser.add_argument("output", type=Path, help="SQLite file to write, replacing any existing file")
    parser.add_argument(
        "--today",
        type=parse_day,
        default=None,
        help="day the appointments are placed around, as YYYY-MM-DD (default: today in Europe/Zurich)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument("--clients", type=int, default=400, help="number of clients (default: 400)")
    args = parser.parse_args(argv)

    today = args.today or datetime.now(ZoneInfo("Europe/Zurich")).date()
    try:
        summary = generate_salon_db(args.output, today, seed=args.seed, clients=args.clients)
    except ValueError as error:
        parser.error(str(error))
    except OSError as error:
        print(f"Writing {args.output} failed: {error}", file=sys.stderr)
        return 1

    print(f"Wrote {args.output}")
    print(f"  salons:       {summary.salons}")
    print(f"  clients:      {summary.clients}")
    print(f"  appointments: {summary.appointments}")
    print(f"  days:         {summary.first_day} to {summary.last_day} (today: {today})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
