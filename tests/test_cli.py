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


def test_send_errors_printed_visibly(tmp_path, capsys, monkeypatch):
    from smsconfirm_tui.cli import main
    from smsconfirm_tui.gateway.fakes import FakeTwilio
    from smsconfirm_tui.routine import Routine, SendRefused

    from conftest import NOW
    from test_never_twice import due_count, prepare_home

    def reject_send(*args, **kwargs):
        raise SendRefused("closed for \x1b]2;PWNED\x07 maintenance")

    monkeypatch.setattr(Routine, "send", reject_send)
    monkeypatch.delenv("SMSCONFIRM_GATEWAY_TOKEN", raising=False)
    with FakeTwilio() as fake:
        mirror_path, settings = prepare_home(tmp_path / "home", fake)
        count = due_count(mirror_path, settings, NOW)
        code = main(["send", "--home", str(tmp_path / "home"), "--due", f"--yes={count}",
                     "--now", NOW.replace(tzinfo=None).isoformat(timespec="minutes")])

    errors = capsys.readouterr().err
    assert code == 1
    assert "not sent: closed for ␛]2;PWNED␇ maintenance" in errors
    assert "\x1b" not in errors
    assert "\x07" not in errors
