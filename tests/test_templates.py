from datetime import datetime, timezone

import pytest

from smsconfirm_tui.domain.replies import ReplyClass, classify_reply
from smsconfirm_tui.domain.sms_text import Encoding, segment_info
from smsconfirm_tui.domain.templates import (
    DEFAULT_TEMPLATES,
    PLACEHOLDERS,
    MessageFields,
    render_message,
    validate_sender,
    validate_template,
)

TUESDAY_2PM = datetime(2025, 3, 4, 14, 0)


def fields(language: str = "de", first_name: str = "Anna", **changes) -> MessageFields:
    values = {
        "first_name": first_name,
        "salon": "Coiffure Bella",
        "starts_at": TUESDAY_2PM,
        "salon_phone": "044 123 45 67",
        "language": language,
    }
    values.update(changes)
    return MessageFields(**values)


def test_german_default_text():
    assert render_message(fields()) == (
        "Hallo Anna, bitte bestätigen Sie Ihren Termin am Di 04.03. um 14:00 bei "
        "Coiffure Bella mit J (Ja) oder N (Nein). Bei Fragen: 044 123 45 67"
    )


def test_weekday_per_language():
    expected = {"de": "Di 04.03.", "fr": "mar. 04.03.", "it": "mar 04.03.", "en": "Tue 04.03."}
    for language, date_text in expected.items():
        message = render_message(fields(language))
        assert date_text in message, language
        assert "14:00" in message, language


def test_all_weekdays_german_and_english():
    german = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    english = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    for offset in range(7):
        starts_at = datetime(2025, 3, 3 + offset, 9, 5)
        assert f"am {german[offset]} 0{3 + offset}.03. um 09:05" in render_message(
            fields(starts_at=starts_at)
        )
        assert f"on {english[offset]} " in render_message(fields("en", starts_at=starts_at))


def test_unknown_language_is_german():
    german = render_message(fields("de"))
    for language in ("", "  ", "es", "xx", "DE"):
        assert render_message(fields(language)) == german, language


def test_regional_language_code():
    assert render_message(fields("fr-CH")) == render_message(fields("fr"))
    assert render_message(fields("it_CH")) == render_message(fields("it"))
    assert render_message(fields(" EN ")) == render_message(fields("en"))


def test_aware_time_converted_to_zurich():
    utc_start = datetime(2025, 3, 4, 13, 0, tzinfo=timezone.utc)
    assert "um 14:00" in render_message(fields(starts_at=utc_start))
    summer_start = datetime(2025, 7, 1, 12, 30, tzinfo=timezone.utc)
    assert "um 14:30" in render_message(fields(starts_at=summer_start))


def test_field_values_inserted_literally():
    for first_name in ("{salon}", "{0}", "{first_name.__class__}", "{{x}}", "}"):
        message = render_message(fields(first_name=first_name))
        assert message.startswith(f"Hallo {first_name}, "), first_name


def test_custom_template_overrides_language():
    custom = {"de": "Hoi {first_name}, {weekday} {time}? J/N"}
    assert render_message(fields(), custom) == "Hoi Anna, Di 14:00? J/N"
    assert render_message(fields("fr"), custom) == render_message(fields("fr"))


def test_invalid_custom_template_raises():
    with pytest.raises(ValueError, match=r"\{client\}"):
        render_message(fields(), {"de": "Hallo {client}"})


def test_no_sharp_s_in_german():
    assert "ß" not in DEFAULT_TEMPLATES["de"]


def test_defaults_use_all_placeholders():
    for language, template in DEFAULT_TEMPLATES.items():
        validate_template(template)
        for name in PLACEHOLDERS:
            assert f"{{{name}}}" in template, (language, name)


def test_defaults_fit_two_segments():
    long_salon = "Coiffure Anna Zürich-Oerlikon"
    for language in DEFAULT_TEMPLATES:
        for first_name in ("Anna", "Alexandra-Marie"):
            message = render_message(fields(language, first_name, salon=long_salon))
            info = segment_info(message)
            assert info.encoding is Encoding.GSM7, language
            assert info.segments <= 2, (language, info.units)


def test_typical_defaults_fit_one_segment():
    for language in DEFAULT_TEMPLATES:
        assert segment_info(render_message(fields(language))).segments == 1, language


def test_non_gsm_name_needs_three_segments():
    for language in DEFAULT_TEMPLATES:
        info = segment_info(render_message(fields(language, "François")))
        assert info.encoding is Encoding.UCS2, language
        assert info.forcing_chars == ("ç",), language
        assert info.segments == 3, language


REQUESTED_REPLIES = {
    "de": ("J", "N", "Ja", "Nein"),
    "fr": ("OUI", "NON", "oui", "non"),
    "it": ("Sì", "No", "si", "no"),
    "en": ("YES", "NO", "yes", "no"),
}


def test_requested_replies_understood():
    for language, (yes_upper, no_upper, yes_lower, no_lower) in REQUESTED_REPLIES.items():
        template = DEFAULT_TEMPLATES[language]
        assert yes_upper in template, language
        assert no_upper in template, language
        for yes_word in (yes_upper, yes_lower):
            assert classify_reply(yes_word).reply_class is ReplyClass.YES, yes_word
        for no_word in (no_upper, no_lower):
            assert classify_reply(no_word).reply_class is ReplyClass.NO, no_word


def test_template_unknown_placeholder():
    with pytest.raises(ValueError) as raised:
        validate_template("Hallo {name}")
    message = str(raised.value)
    assert "{name}" in message
    for name in PLACEHOLDERS:
        assert f"{{{name}}}" in message


@pytest.mark.parametrize(
    "template",
    [
        "Hallo {}",
        "Hallo {0}",
        "Hallo {first_name.upper}",
        "Hallo {first_name[0]}",
        "Hallo {first_name!r}",
        "Hallo {first_name:>10}",
        "Hallo {first_name",
        "Hallo }",
    ],
)
def test_template_rejects_format_features(template):
    with pytest.raises(ValueError):
        validate_template(template)


def test_template_literal_braces_allowed():
    validate_template("{{J}} oder {{N}}, {first_name}")


def test_sender_valid():
    assert validate_sender("CoiffAnna") == "CoiffAnna"
    assert validate_sender("Salon 12") == "Salon 12"
    assert validate_sender("ABCDEFGHIJK") == "ABCDEFGHIJK"
    assert validate_sender(" Bella ") == "Bella"


def test_sender_too_long():
    with pytest.raises(ValueError) as raised:
        validate_sender("Coiffure Anna")
    assert "'Coiffure Anna'" in str(raised.value)
    assert "11" in str(raised.value)


@pytest.mark.parametrize("sender", ["Zürich", "Anna&Co", "Anna-Co", "Bella\t1"])
def test_sender_invalid_characters(sender):
    with pytest.raises(ValueError, match="ASCII letters, digits and spaces"):
        validate_sender(sender)


def test_sender_empty_or_digits():
    with pytest.raises(ValueError, match="missing"):
        validate_sender("   ")
    with pytest.raises(ValueError, match="at least one letter"):
        validate_sender("0791234567")
