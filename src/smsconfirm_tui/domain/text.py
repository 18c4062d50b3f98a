"""Make untrusted text safe to show in a terminal or to put into an SMS.

Text from the salon database and from SMS replies may hold control
characters: an ESC starts a terminal escape sequence that can clear the
screen, change the window title or recolour a row. Such characters are
replaced by visible stand-ins, so staff see that they were there.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls (except none: even tab and newline break a one-line cell), DEL,
# C1 controls, and the bidirectional overrides that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _stand_in(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ESC becomes ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(text: str | None) -> str:
    """Replace control and direction-override characters with visible stand-ins."""
    if not text:
        return ""
    return _UNSAFE.sub(_stand_in, text)


def visible_multiline(text: str | None) -> str:
    """Like ``visible`` but keep line breaks, for texts shown in full."""
    if not text:
        return ""
    return "\n".join(visible(line) for line in text.replace("\r\n", "\n").split("\n"))


def sms_safe(text: str | None) -> str:
    """Drop control characters from a value put into an SMS, and normalise its form."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", _UNSAFE.sub("", text))
