"""``smsconfirm run`` and ``smsconfirm demo``: start the app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smsconfirm_tui.commands.common import add_home_option, fixed_clock, prepare


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="open the app on a generated demo salon",
        description="Generate a demo salon around today, sync it, start the demo SMS gateway on "
        "127.0.0.1 and open the app. Nothing leaves this machine.",
    )
    add_home_option(demo)
    demo.add_argument("--now", help="pretend it is this Zurich time, e.g. 2026-12-04T09:00 (for demos)")
    demo.add_argument("--reply-delay", type=float, default=0.0, help="seconds before the demo gateway's replies appear")
    demo.set_defaults(handler=run_demo)

    run = subparsers.add_parser(
        "run",
        help="open the app on the configured salon",
        description="Start the app on the mirror in the data folder, syncing from the configured "
        "salon database first.",
    )
    add_home_option(run)
    run.add_argument("--no-sync", action="store_true", help="open the mirror as it is, without syncing first")
    run.set_defaults(handler=run_app)


def _demo_home(args: argparse.Namespace) -> None:
    import os

    import platformdirs

    if args.home is None and not os.environ.get("SMSCONFIRM_HOME"):
        args.home = Path(platformdirs.user_data_dir("smsconfirm")) / "demo"


def run_demo(args: argparse.Namespace) -> int:
    _demo_home(args)
    paths, config = prepare(args)
    from smsconfirm_tui import i18n

    i18n.install(i18n.choose_language(config.language))
    from smsconfirm_tui.demo.session import prepare_demo
    from smsconfirm_tui.domain.calendar import zurich_now

    clock = fixed_clock(args.now)
    now = clock() if clock else zurich_now()
    print(f"Preparing the demo salon in {args.home} …", file=sys.stderr)
    session = prepare_demo(paths, config, now=now, clock=clock, reply_delay=args.reply_delay)
    print(f"sync: {session.sync_summary.describe()}; demo gateway on {session.server.url}", file=sys.stderr)
    try:
        _settle_interrupted_sends(session.routine)
        from smsconfirm_tui.tui.app import SmsConfirmApp

        SmsConfirmApp(session.routine).run()
        _announce_requests_in_flight()
    finally:
        session.close()
    return 0


def run_app(args: argparse.Namespace) -> int:
    paths, config = prepare(args)
    from smsconfirm_tui import i18n

    i18n.install(i18n.choose_language(config.language))
    from smsconfirm_tui.gateway.factory import GatewaySetupError, build_gateway

    try:
        build_gateway(config.gateway).close()
    except (GatewaySetupError, ValueError) as error:
        print(
            f"smsconfirm: the SMS gateway is not set up: {error}. Set that key in the "
            f"[gateway] table of {paths.config_file} (see docs/providers.md), or try 'smsconfirm demo'.",
            file=sys.stderr,
        )
        return 2
    if not args.no_sync:
        from smsconfirm_tui.commands.sync import run_sync

        args.source = None
        code = run_sync(args)
        if code != 0:
            return code
    from smsconfirm_tui.routine import Routine
    from smsconfirm_tui.tui.app import SmsConfirmApp

    routine = Routine(config, paths.mirror, lambda: build_gateway(config.gateway))
    try:
        _settle_interrupted_sends(routine)
        SmsConfirmApp(routine).run()
        _announce_requests_in_flight()
    finally:
        routine.close()
    return 0


def _settle_interrupted_sends(routine) -> None:
    """Ask the gateway about messages a crashed or closed send left behind, before the list opens."""
    import logging

    try:
        changed = routine.reconcile()
    except Exception as error:  # noqa: BLE001 - the app still opens; F6 tries again
        logging.getLogger(__name__).warning("settling interrupted sends failed: %s", error)
        return
    if changed:
        logging.getLogger(__name__).info("settled %d messages left by an interrupted send", changed)


def _announce_requests_in_flight() -> None:
    """Say why the program has not ended yet when a send was running at quit.

    Thread workers cannot be stopped: the sender finishes the requests that
    are already on the way, and the rest stays queued for the next send.
    """
    import threading

    from smsconfirm_tui.i18n import _

    busy = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if busy:
        print(_("Finishing the SMS requests already on the way; the rest stays queued for the next send …"),
              file=sys.stderr, flush=True)
