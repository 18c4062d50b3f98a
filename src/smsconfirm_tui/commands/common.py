"""Set-up shared by the commands: paths, config, logging, the routine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from smsconfirm_tui.config import Config, ConfigError, load_config
from smsconfirm_tui.domain.text import visible
from smsconfirm_tui.logging_setup import configure_logging
from smsconfirm_tui.paths import Paths, resolve_paths


def add_home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        help="keep config, data and logs in this folder (default: the platform's folders, "
        "or $SMSCONFIRM_HOME)",
    )


def prepare(args: argparse.Namespace) -> tuple[Paths, Config]:
    """Resolve the paths, start the log file and read the config; exit 2 on a bad config."""
    paths = resolve_paths(getattr(args, "home", None))
    configure_logging(paths.log_file)
    try:
        config = load_config(paths.config_file)
    except ConfigError as error:
        print(f"smsconfirm: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    return paths, config


def print_visible(text: str, *, file: TextIO | None = None) -> None:
    """Print a line that quotes untrusted values to ``file`` (default: stdout), with control characters made visible.

    A line break in the text is printed as " ⏎ ", so the text fills one line.
    """
    print(visible(text), file=file)


def with_source(config: Config, source: Path | None) -> Config:
    """Replace the configured source with a SQLite salon database file given on the command line."""
    from smsconfirm_tui.config import SourceConfig

    return replace(config, source=SourceConfig(kind="sqlite", path=source)) if source else config


def fixed_clock(text: str | None) -> Callable[[], datetime] | None:
    """Build a clock frozen at an ISO time (for demos and support), or None for the real one."""
    if not text:
        return None
    from smsconfirm_tui.domain.calendar import ZURICH

    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZURICH)
    return lambda: moment
