"""``smsconfirm send``: send the due confirmations from a script or a support session.

A person still starts every send. The command prints how many SMS would go
out and sends only after a typed "yes", or with ``--yes=COUNT`` naming that
exact count. A script therefore cannot send more than its author saw.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from smsconfirm_tui.commands.common import add_home_option, fixed_clock, prepare, print_visible


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "send",
        help="send the due confirmations from a script, after a prompt",
        description="Reconcile messages left over from an interrupted send, then send the SMS that "
        "are due today (--due) or due for one day (--day). Without --yes the command asks first.",
    )
    add_home_option(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--due", action="store_true", help="send every confirmation due today by lead time")
    which.add_argument("--day", type=_typed_date, help="send the confirmations of visits on this date "
                       "(2026-12-08, 08.12.2026 or 8.12.)")
    parser.add_argument("--yes", type=int, metavar="COUNT",
                        help="send without asking, but only if exactly COUNT SMS are to be sent")
    parser.add_argument("--override-hours", action="store_true",
                        help="send even outside a salon's sending hours (written to the audit log)")
    parser.add_argument("--now", help="pretend it is this Zurich time, e.g. 2026-12-04T09:00 (for support)")
    parser.set_defaults(handler=run_send)


def run_send(args: argparse.Namespace) -> int:
    paths, config = prepare(args)
    from smsconfirm_tui.gateway.factory import GatewaySetupError, build_gateway
    from smsconfirm_tui.routine import Routine, SendRefused

    try:
        build_gateway(config.gateway).close()
    except (GatewaySetupError, ValueError) as error:
        print(f"smsconfirm: the SMS gateway is not set up: {error} ({paths.config_file})", file=sys.stderr)
        return 2

    clock = fixed_clock(args.now)
    routine = Routine(config, paths.mirror, lambda: build_gateway(config.gateway),
                      **({"clock": clock} if clock else {}))
    try:
        settled = routine.reconcile()
        if settled:
            print(f"settled {settled} message(s) left over from an interrupted send", file=sys.stderr)
        rows = routine.rows_due() if args.due else routine.rows_for_day(args.day)
        plan = routine.plan_send(rows)
        segments = "1 segment" if plan.segments == 1 else f"{plan.segments} segments"
        print(f"{plan.count} SMS ({segments}, about CHF {plan.cost:.2f}) are to be sent.")
        if plan.outside_hours:
            from smsconfirm_tui.domain.text import visible

            names = ", ".join(visible(name) for name in plan.outside_hours)
            print(f"outside the sending hours of: {names}", file=sys.stderr)
        if plan.count == 0:
            return 0
        if not _confirmed(args.yes, plan.count):
            return 1
        try:
            summary = routine.send(plan, override_hours=args.override_hours)
        except SendRefused as error:
            print_visible(f"smsconfirm: not sent: {error} (use --override-hours)", file=sys.stderr)
            return 1
        progress = summary.progress
        print(f"sent {progress.sent}, failed {progress.failed}, unknown {progress.unknown}, "
              f"dropped {progress.dropped}")
        for error in summary.errors[:10]:
            print_visible(f"  {error}", file=sys.stderr)
        return 0 if progress.failed == 0 and progress.unknown == 0 else 1
    finally:
        routine.close()


def _confirmed(expected: int | None, count: int) -> bool:
    if expected is not None:
        if expected != count:
            print(f"smsconfirm: not sent: --yes={expected} but {count} SMS are to be sent; "
                  f"check the list and run again with --yes={count}", file=sys.stderr)
            return False
        return True
    if not sys.stdin.isatty():
        print(f"smsconfirm: not sent: no terminal to ask; pass --yes={count} to confirm", file=sys.stderr)
        return False
    answer = input(f"Send {count} SMS now? Type yes to send: ")
    return answer.strip().lower() == "yes"


def _typed_date(text: str) -> date:
    from smsconfirm_tui.domain.calendar import zurich_today
    from smsconfirm_tui.domain.dates import parse_typed_date

    try:
        return parse_typed_date(text, zurich_today())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
