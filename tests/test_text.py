import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsconfirm_tui.domain.text import sms_safe, visible, visible_multiline


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2JJa", "␛[2JJa"),
        ("\x1b]0;PWNED\x07Eve", "␛]0;PWNED␇Eve"),
        ("a\tb\nc", "a␉b ⏎ c"),
        ("x\x7fy", "x␡y"),
        ("\x9b31m", "<U+009B>31m"),
        ("abc\u202edef", "abc<U+202E>def"),
        ("Müller [bold]x[/]", "Müller [bold]x[/]"),
        ("", ""),
        (None, ""),
    ],
)
def test_visible(raw, shown):
    assert visible(raw) == shown


def test_visible_multiline_keeps_line_breaks():
    assert visible_multiline("Ja\r\n\x1b[31mgerne") == "Ja\n␛[31mgerne"


def test_sms_safe_drops_controls():
    assert sms_safe("\x1b]0;PWNED\x07Eve") == "]0;PWNEDEve"


@given(st.text())
def test_visible_leaves_no_control_characters(text):
    shown = visible(text)
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in shown)
