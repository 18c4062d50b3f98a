from hypothesis import given
from hypothesis import strategies as st

from smsconfirm_tui.domain.sms_text import (
    Encoding,
    count_units,
    is_gsm7_char,
    normalize_typography,
    segment_info,
    split_segments,
)

BOOKING_TEXT = (
    "Hallo François, bitte bestätigen Sie Ihren Termin am Di 04.03. um 14:00 "
    "bei Coiffure Anna mit J oder N. Danke!"
)
EMOJI = "\U0001F600"  # one code point, two UTF-16 units


def test_required_french_name():
    info = segment_info(BOOKING_TEXT)
    assert info.encoding is Encoding.UCS2
    assert info.segments == 2
    assert info.forcing_chars == ("ç",)
    assert info.units == len(BOOKING_TEXT)


def test_escape_pairs_stay_whole():
    assert segment_info("]" * 153).segments == 3
    assert [len(part) for part in split_segments("]" * 153)] == [76, 76, 1]


def test_euro_at_single_limit():
    assert segment_info("a" * 158 + "€").segments == 1
    assert segment_info("a" * 158 + "€").units == 160
    assert segment_info("a" * 159 + "€").segments == 2


def test_gsm7_boundaries():
    cases = {160: 1, 161: 2, 306: 2, 307: 3, 459: 3, 460: 4}
    for length, segments in cases.items():
        info = segment_info("a" * length)
        assert info.encoding is Encoding.GSM7
        assert info.units == length
        assert info.segments == segments, length


def test_per_segment_limits():
    assert segment_info("a" * 160).per_segment == 160
    assert segment_info("a" * 161).per_segment == 153
    assert segment_info("ç" * 70).per_segment == 70
    assert segment_info("ç" * 71).per_segment == 67


def test_ucs2_boundaries():
    cases = {70: 1, 71: 2, 134: 2, 135: 3}
    for length, segments in cases.items():
        info = segment_info("ç" * length)
        assert info.encoding is Encoding.UCS2
        assert info.units == length
        assert info.segments == segments, length


def test_escape_at_segment_boundary():
    text = "a" * 152 + "€" + "b" * 7
    assert segment_info(text).units == 161
    assert split_segments(text) == ["a" * 152, "€" + "b" * 7]


def test_surrogate_pair_at_boundary():
    text = "a" * 67 + EMOJI + "b"
    info = segment_info(text)
    assert info.encoding is Encoding.UCS2
    assert info.units == 70
    assert info.segments == 1
    longer = "a" * 66 + EMOJI + "bbb"
    assert segment_info(longer).units == 71
    assert split_segments(longer) == ["a" * 66, EMOJI + "bbb"]


def test_empty_text():
    info = segment_info("")
    assert info.units == 0
    assert info.segments == 0
    assert info.encoding is Encoding.GSM7
    assert split_segments("") == []


def test_table_membership():
    for char in "éèàìòùüöäÜÖÄñÑßÅåÆæØøÉÇ":
        assert is_gsm7_char(char), char
    for char in "âêîôûëïçáíóúÌ":
        assert not is_gsm7_char(char), char


def test_forcing_chars_distinct_ordered():
    info = segment_info("çaâçbâ")
    assert info.forcing_chars == ("ç", "â")


def test_typography_normalised():
    assert normalize_typography("l’heure “bald” – ok… ja\u00a0gerne") == (
        "l'heure \"bald\" - ok... ja gerne"
    )
    info = segment_info("Rendez\u2011vous l’après-midi")
    assert info.forcing_chars == ("\u2011",)
    assert segment_info("C’est “ok” — merci…").encoding is Encoding.GSM7


def test_combining_accent_composed():
    info = segment_info("Re\u0301ne\u0301")
    assert info.encoding is Encoding.GSM7
    assert info.text == "Réné"


sms_texts = st.text(
    alphabet=st.sampled_from("aZ ]€ç.\n’" + EMOJI) | st.characters(),
    max_size=400,
)


@given(sms_texts)
def test_split_round_trip(text):
    info = segment_info(text)
    parts = split_segments(text)
    assert "".join(parts) == info.text
    assert len(parts) == info.segments
    for part in parts:
        assert count_units(part, info.encoding) <= info.per_segment


@given(sms_texts)
def test_units_within_segments(text):
    info = segment_info(text)
    assert info.units <= info.segments * info.per_segment
    if info.segments > 1:
        assert info.units > (160 if info.encoding is Encoding.GSM7 else 70)
