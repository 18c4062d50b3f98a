"""Locations of the config file, the data and the logs.

By default the platform's folders (``platformdirs``); ``SMSCONFIRM_HOME`` or
``--home`` puts all three under one folder, which the demo and tests use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "smsconfirm"


@dataclass(frozen=True)
class Paths:
    config_file: Path
    data_dir: Path
    log_dir: Path

    @property
    def mirror(self) -> Path:
        return self.data_dir / "mirror.sqlite"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "smsconfirm.log"


def resolve_paths(home: Path | str | None = None) -> Paths:
    home = home or os.environ.get("SMSCONFIRM_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(root / "config.toml", root / "data", root / "logs")
    config_file = os.environ.get("SMSCONFIRM_CONFIG")
    return Paths(
        Path(config_file) if config_file else Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml",
        Path(platformdirs.user_data_dir(APP_NAME)),
        Path(platformdirs.user_log_dir(APP_NAME)),
    )
