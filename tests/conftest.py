"""Shared fixtures: a fixed clock and a demo salon with a real loopback gateway."""

from __future__ import annotations

from datetime import datetime

import pytest

from smsconfirm_tui import i18n
from smsconfirm_tui.config import Config
from smsconfirm_tui.domain.calendar import ZURICH
from smsconfirm_tui.paths import resolve_paths

# A Friday morning in Zurich; the demo salon is generated around this day.
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZURICH)

i18n.install("de")


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def demo(tmp_path):
    from smsconfirm_tui.demo.session import prepare_demo

    paths = resolve_paths(tmp_path / "home")
    session = prepare_demo(paths, Config(actor="test-user"), now=NOW, clock=lambda: NOW)
    yield session
    session.close()
