"""The README's examples work as printed."""

from __future__ import annotations

import re
from pathlib import Path

from smsconfirm_tui.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def toml_blocks(path: Path) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_readme_config_example_loads(tmp_path):
    [example] = toml_blocks(ROOT / "README.md")
    config_file = tmp_path / "config.toml"
    config_file.write_text(example, encoding="utf-8")
    config_file.chmod(0o600)
    config = load_config(config_file)
    assert config.gateway.kind == "twilio"
    assert config.source is not None
    assert config.salon_settings("S1").canton == "ZH"


def test_german_readme_has_no_sharp_s():
    assert "ß" not in (ROOT / "README.de.md").read_text(encoding="utf-8")
