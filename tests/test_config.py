"""Config values that must stop the program at start, with a message naming the key."""

from __future__ import annotations

import pytest

from smsconfirm_tui.config import ConfigError, load_config


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[templates]\nde = "Hallo {first_name.__class__}"', "templates.de"),
        ('[templates]\nde = "Hallo {first_nam}"', "templates.de"),
        ("min_notice_hours = nan", "min_notice_hours"),
        ("min_notice_hours = 1e400", "min_notice_hours"),
        ("min_notice_hours = true", "min_notice_hours"),
        ("default_lead_days = true", "default_lead_days"),
        ("source = 5", "source"),
        ('[salons.S1]\ncanton = "XX"', "salons.S1.canton"),
        ('language = "fr"', "language"),
        ("colour = 1", "colour"),
    ],
)
def test_invalid_config_names_key(tmp_path, text, named):
    config_file = tmp_path / "config.toml"
    config_file.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(config_file)
    message = str(raised.value)
    assert str(config_file) in message
    assert named in message


def test_missing_config_gives_defaults(tmp_path):
    config = load_config(tmp_path / "absent.toml")
    assert config.default_lead_days == 2
    assert config.min_notice_hours == 2.0
