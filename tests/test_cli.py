import subprocess
import sys

from smsconfirm_tui.cli import build_parser


def test_help_lists_each_command_on_one_line():
    output = subprocess.run(
        [sys.executable, "-m", "smsconfirm_tui", "--help"], capture_output=True, text=True, check=True,
        env={"COLUMNS": "80", "PATH": ""},
    ).stdout
    commands = output.split("commands:", 1)[1].splitlines()
    listed = {line.split()[0]: line for line in commands if line.startswith("    ") and line.split()}
    assert set(listed) == {"demo", "run", "sync", "check", "explain", "send", "demo-gateway"}
    for name, line in listed.items():
        assert len(line.split(None, 1)) == 2, f"{name} has no help on its line"


def test_no_command_prints_help(capsys):
    from smsconfirm_tui.cli import main

    assert main([]) == 2
    assert "commands:" in capsys.readouterr().out


def test_parser_builds():
    assert build_parser().prog == "smsconfirm"
