"""Make untrusted text safe to show in a terminal or to put into an SMS.

Text from the salon database and from SMS replies may hold control
characters: an ESC starts a terminal escape sequence that can clear the
screen, change the window title or recolour a row. Such characters are
replaced by visible stand-ins, so staff see that they were there.
"""

from __future__ import annotations

import re
import unicodedata

# The zero-width joiner and non-joiner build one emoji or ligature from
# several code points; they are format characters but harmless.
_EMOJI_JOINERS = frozenset({"\u200c", "\u200d"})

# Characters an SMS must not carry: C0 and C1 controls, DEL, and the
# bidirectional marks and overrides that reorder how text is shown.
_SMS_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str | None, *, one_line: bool = True) -> str:
    """Return untrusted text with every control and format character made visible.

    C0 controls become their Unicode control pictures (ESC as "␛"); other
    controls and format characters, such as a right-to-left override, become
    "<U+202E>". Line breaks become " ⏎ " when ``one_line`` is set, for a
    table cell or a one-line detail, and stay line breaks otherwise.
    """
    if not text:
        return ""
    shown: list[str] = []
    for char in text.replace("\r\n", "\n"):
        category = unicodedata.category(char)
        if char == "\n" or category in ("Zl", "Zp"):
            shown.append(" ⏎ " if one_line else "\n")
        elif category == "Cc" and ord(char) < 0x20:
            shown.append(chr(0x2400 + ord(char)))
        elif char == "\x7f":
            shown.append("\u2421")
        elif category in ("Cc", "Cf", "Cs") and char not in _EMOJI_JOINERS:
            shown.append(f"<U+{ord(char):04X}>")
        else:
            shown.append(char)
    return "".join(shown)


def visible_multiline(text: str | None) -> str:
    """Like ``visible`` but keep line breaks, for texts shown in full."""
    return visible(text, one_line=False)


def sms_safe(text: str | None) -> str:
    """Drop control characters from a value put into an SMS, and compose its accents."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", _SMS_UNSAFE.sub("", text))
