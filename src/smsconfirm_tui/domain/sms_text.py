"""SMS text encoding (GSM 03.38 or UCS-2) and the split into segments.

A text whose characters are all in the GSM 03.38 default alphabet goes out as
GSM-7 and is counted in septets: one per basic character, two per character
of the extension table, which is sent as an escape pair. A single other
character makes the whole text UCS-2, counted in UTF-16 code units. One SMS
carries 160 septets or 70 UCS-2 units. A longer text is sent as a
concatenated SMS whose segments lose room to the user data header and carry
153 septets or 67 units each.

Phones join the segments again, so a split must never separate an escape
pair or the two halves of a UTF-16 surrogate pair.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# GSM 03.38 default alphabet, in table order from 0x00 to 0x7F. 0x1B is the
# escape to the extension table and is left out, because it never stands
# for a character of its own.
GSM_BASIC_CHARS = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# GSM 03.38 extension table: each character costs an escape septet plus its
# own septet. The form feed is the table's page break.
GSM_EXTENSION_CHARS = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE_LIMIT = 160
GSM7_SEGMENT_LIMIT = 153
UCS2_SINGLE_LIMIT = 70
UCS2_SEGMENT_LIMIT = 67

# Typographic characters that phones and word processors insert but GSM-7
# lacks. Replacing them keeps a text in GSM-7, which fits more than twice as
# many characters per segment as UCS-2.
TYPOGRAPHY_REPLACEMENTS = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark, also the typed apostrophe
    "\u201a": "'",  # single low-9 quotation mark
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark, as in German „…"
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2026": "...",  # horizontal ellipsis
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space, used before ; : ! ? in French
}
_TYPOGRAPHY_TABLE = str.maketrans(TYPOGRAPHY_REPLACEMENTS)


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SegmentInfo:
    """Encoding, size and segment count of a text sent as SMS, after `normalize_typography`."""

    encoding: Encoding
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    segments: int
    """Number of SMS the text is sent as: 0 for the empty text."""
    per_segment: int
    """Unit limit of each segment: 160 or 70 for one SMS, 153 or 67 when concatenated."""
    forcing_chars: tuple[str, ...]
    """Distinct characters outside GSM 03.38 that forced UCS-2, in order of appearance."""
    text: str
    """The text after normalisation, as it would be sent."""


def normalize_typography(text: str) -> str:
    """Replace typographic quotes, dashes, ellipses and no-break spaces by GSM-7 characters.

    The text is first composed to Unicode NFC, so that an ``e`` followed by a
    combining acute accent counts as the GSM-7 character ``é``.
    """
    return unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY_TABLE)


def is_gsm7_char(char: str) -> bool:
    return char in GSM_BASIC_CHARS or char in GSM_EXTENSION_CHARS


def find_forcing_chars(text: str) -> tuple[str, ...]:
    """Return the distinct characters of `text` outside GSM 03.38, in order of appearance."""
    return tuple(dict.fromkeys(char for char in text if not is_gsm7_char(char)))


def count_units(text: str, encoding: Encoding) -> int:
    """Count `text` in septets for GSM-7 or in UTF-16 code units for UCS-2."""
    return sum(_char_units(char, encoding) for char in text)


def segment_info(text: str) -> SegmentInfo:
    """Normalise `text` and count its encoding, units and segments.

    The empty text has 0 units and 0 segments, because nothing would be sent.
    """
    text = normalize_typography(text)
    forcing_chars = find_forcing_chars(text)
    encoding = Encoding.UCS2 if forcing_chars else Encoding.GSM7
    segments = _split(text, encoding)
    units = count_units(text, encoding)
    return SegmentInfo(
        encoding=encoding,
        units=units,
        segments=len(segments),
        per_segment=_per_segment_limit(units, encoding),
        forcing_chars=forcing_chars,
        text=text,
    )


def split_segments(text: str) -> list[str]:
    """Normalise `text` and split it into the parts each SMS segment carries.

    Joining the parts gives the normalised text back. The empty text gives
    an empty list.
    """
    text = normalize_typography(text)
    encoding = Encoding.UCS2 if find_forcing_chars(text) else Encoding.GSM7
    return _split(text, encoding)


def _char_units(char: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return 2 if char in GSM_EXTENSION_CHARS else 1
    # A code point above U+FFFF is a surrogate pair in UTF-16.
    return 2 if ord(char) > 0xFFFF else 1


def _per_segment_limit(units: int, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return GSM7_SINGLE_LIMIT if units <= GSM7_SINGLE_LIMIT else GSM7_SEGMENT_LIMIT
    return UCS2_SINGLE_LIMIT if units <= UCS2_SINGLE_LIMIT else UCS2_SEGMENT_LIMIT


def _split(text: str, encoding: Encoding) -> list[str]:
    if not text:
        return []
    units = count_units(text, encoding)
    limit = _per_segment_limit(units, encoding)
    if units <= limit:
        return [text]

    # Fill each segment greedily. A character costs its escape pair or its
    # surrogate pair as a whole, so it moves to the next segment in one
    # piece when it does not fit. That is why "]" * 153 needs 3 segments:
    # each of the first two takes 76 pairs and leaves one septet unused.
    segments: list[str] = []
    current: list[str] = []
    current_units = 0
    for char in text:
        cost = _char_units(char, encoding)
        if current_units + cost > limit:
            segments.append("".join(current))
            current = []
            current_units = 0
        current.append(char)
        current_units += cost
    segments.append("".join(current))
    return segments
