"""UI language: gettext catalogs, German by default, English by config or locale.

Source strings are English; the German catalog translates them. Install the
language before importing any screen module, because Textual reads
``BINDINGS`` (and their descriptions) when the class is created.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "smsconfirm"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("de", "en")

_translation: gettext.NullTranslations = gettext.translation(
    DOMAIN, LOCALE_DIR, languages=["de"], fallback=True
)
_language = "de"


def choose_language(configured: str | None, environ: dict[str, str] | None = None) -> str:
    """Pick the UI language: the config's, else English for an English locale, else German."""
    if configured in LANGUAGES:
        return configured
    environ = dict(os.environ) if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "de"
    return "de"


def install(language: str) -> None:
    """Make ``_`` translate into ``language`` from now on."""
    global _translation, _language
    if language not in LANGUAGES:
        raise ValueError(f"UI language {language!r} is not supported: use de or en")
    _language = language
    if language == "en":
        _translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translation.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with ``_``."""
    return message


WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
