"""The real program in a real pseudo-terminal at 80x24, read back through a terminal emulator."""

from __future__ import annotations

import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import fcntl

import pyte

COLUMNS, LINES = 80, 24


class TerminalSession:
    """Run a command on a pseudo-terminal and keep a pyte screen of what it draws."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True
        )
        os.close(slave)
        self.master = master

    def read_until(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    break
                self.stream.feed(data)
            shown = self.text()
            if text in shown:
                return shown
        raise AssertionError(f"{text!r} not on screen within {timeout} s:\n{self.text()}")

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()
        finally:
            os.close(self.master)


def test_demo_in_real_terminal(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "SMSCONFIRM_HOME": str(tmp_path / "home"),
    }
    command = [sys.executable, "-m", "smsconfirm_tui", "demo", "--now", "2026-12-04T09:00"]
    session = TerminalSession(command, env)
    try:
        screen = session.read_until("Termine morgen, Sa 05.12.2026")
        assert "F5 Senden" in screen
        assert "nicht versendet" in screen
        session.send("\x1bOS")  # F4 in xterm's keypad mode: confirm in advance
        session.read_until("Bestätigung im Voraus")
        session.send("q")
        assert session.close() == 0
    finally:
        if session.process.poll() is None:
            os.killpg(session.process.pid, signal.SIGKILL)
