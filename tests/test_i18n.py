"""The UI language: German by default, English by config or locale, catalogs complete."""

from __future__ import annotations

import gettext
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from smsconfirm_tui import i18n

PACKAGE = Path(i18n.__file__).parent
PO_FILE = PACKAGE / "locale" / "de" / "LC_MESSAGES" / "smsconfirm.po"
MO_FILE = PO_FILE.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), keywords=KEYWORDS, comment_tags=()
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def german_catalog():
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="de")


def test_every_ui_string_has_german():
    catalog = german_catalog()
    missing = []
    for message_id in sorted(source_messages()):
        entry = catalog.get(message_id)
        strings = entry.string if entry else None
        if not entry or not (all(strings) if isinstance(strings, tuple) else strings):
            missing.append(message_id)
    assert missing == [], "run `make i18n` and translate these"


def test_german_uses_swiss_ss():
    for entry in german_catalog():
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for text in strings:
            assert "ß" not in (text or ""), entry.id


def test_compiled_catalog_matches_po():
    compiled = gettext.GNUTranslations(MO_FILE.open("rb"))
    for entry in german_catalog():
        if entry.id and not isinstance(entry.id, tuple) and entry.string:
            assert compiled.gettext(entry.id) == entry.string, "run `make i18n` to compile"


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        (None, {}, "de"),
        (None, {"LANG": "de_CH.UTF-8"}, "de"),
        (None, {"LANG": "en_US.UTF-8"}, "en"),
        (None, {"LC_ALL": "en_GB.UTF-8", "LANG": "de_CH.UTF-8"}, "en"),
        (None, {"LANG": "fr_CH.UTF-8"}, "de"),
        ("de", {"LANG": "en_US.UTF-8"}, "de"),
        ("en", {"LANG": "de_CH.UTF-8"}, "en"),
    ],
)
def test_language_choice(configured, environ, expected):
    assert i18n.choose_language(configured, environ) == expected


def test_english_app_in_subprocess(tmp_path):
    script = textwrap.dedent(
        f"""
        import asyncio
        from datetime import datetime
        from smsconfirm_tui import i18n
        i18n.install("en")
        from smsconfirm_tui.config import Config
        from smsconfirm_tui.demo.session import prepare_demo
        from smsconfirm_tui.domain.calendar import ZURICH
        from smsconfirm_tui.paths import resolve_paths
        from smsconfirm_tui.tui.app import SmsConfirmApp

        now = datetime(2026, 12, 4, 9, 0, tzinfo=ZURICH)
        session = prepare_demo(resolve_paths({str(tmp_path)!r}), Config(), now=now, clock=lambda: now)

        async def main():
            app = SmsConfirmApp(session.routine)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.press("m")
                print(app.screen.query_one("#title").render())
                print(" ".join(binding.description for binding in app.screen.BINDINGS))

        try:
            asyncio.run(main())
        finally:
            session.close()
        """
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "Appointments tomorrow, Sat 05.12.2026" in output
    assert "Help Date Audit In advance Send" in output
