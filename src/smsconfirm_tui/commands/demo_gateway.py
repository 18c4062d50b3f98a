"""``smsconfirm demo-gateway …``: run the loopback demo SMS gateway in the foreground."""

from __future__ import annotations

import argparse

from smsconfirm_tui.gateway import demo_server


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo-gateway",
        help="run the loopback demo SMS gateway",
        description=(
            "Run the demo SMS gateway on 127.0.0.1 until SIGTERM or Ctrl+C. "
            "It prints its URL on the first line of output."
        ),
    )
    demo_server.build_arg_parser(parser)
    parser.set_defaults(handler=demo_server.serve)
