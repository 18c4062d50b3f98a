import json

import pytest

from smsconfirm_tui.cli import main

BOOKING_TEXT = (
    "Hallo François, bitte bestätigen Sie Ihren Termin am Di 04.03. um 14:00 "
    "bei Coiffure Anna mit J oder N. Danke!"
)


def output_lines(capsys) -> dict[str, str]:
    lines = capsys.readouterr().out.splitlines()
    return {key: value.strip() for key, _, value in (line.partition(" ") for line in lines)}


def test_text_plain_output(capsys):
    assert main(["check", "text", BOOKING_TEXT]) == 0
    result = output_lines(capsys)
    assert result["encoding"] == "ucs2"
    assert result["units"] == "110"
    assert result["segments"] == "2"
    assert result["segment_units"] == "67, 43"
    assert result["forcing_chars"] == "ç U+00E7"


def test_text_json_output(capsys):
    assert main(["check", "text", "--json", "Grüezi ‘Anna’ ~ ç"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["encoding"] == "ucs2"
    assert result["forcing_chars"] == ["ç U+00E7"]
    assert result["normalized"] is True
    assert result["text"] == "Grüezi 'Anna' ~ ç"


def test_text_gsm7_counts_escapes(capsys):
    assert main(["check", "text", "--json", "a" * 159 + "€"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["encoding"] == "gsm7"
    assert result["units"] == 161
    assert result["segments"] == 2
    assert result["forcing_chars"] == []


def test_text_control_char_escaped(capsys):
    assert main(["check", "text", "ja\x1b[2J"]) == 0
    output = capsys.readouterr().out
    assert "\x1b" not in output
    assert "'\\x1b' U+001B" in output


def test_text_empty(capsys):
    assert main(["check", "text", "--json", ""]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["segments"] == 0
    assert result["units"] == 0


def test_reply_plain_output(capsys):
    assert main(["check", "reply", "Ja gerne!"]) == 0
    result = output_lines(capsys)
    assert result["class"] == "yes"
    assert result["rule"] == "yes word 'ja' (de)"


def test_reply_json_output(capsys):
    assert main(["check", "reply", "--json", "J aber 10 Min später"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {"class": "unclear", "rule": "change request word 'aber' (de)"}


def test_reply_stop(capsys):
    assert main(["check", "reply", "--json", "STOP"]) == 0
    assert json.loads(capsys.readouterr().out)["class"] == "stop"


def test_reply_missing_text(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["check", "reply"])
    assert raised.value.code == 2
    assert "TEXT" in capsys.readouterr().err
