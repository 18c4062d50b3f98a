"""The "never twice" rule with real sender processes killed at random points."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from smsconfirm_tui.config import Config, GatewayConfig
from smsconfirm_tui.demo.salon import generate_salon_db
from smsconfirm_tui.gateway.factory import build_gateway
from smsconfirm_tui.gateway.fakes import FakeTwilio
from smsconfirm_tui.paths import resolve_paths
from smsconfirm_tui.routine import Routine
from smsconfirm_tui.sending.outbox import LEASE_ENV_VAR
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.salon_db import SqliteSource

from conftest import NOW

OUR_NUMBER = "+41445550000"


def prepare_home(home: Path, fake: FakeTwilio) -> tuple[Path, GatewayConfig]:
    """Sync a demo salon into a mirror and write a private config that points at the fake."""
    paths = resolve_paths(home)
    paths.data_dir.mkdir(parents=True)
    salon_db = paths.data_dir / "salon.sqlite"
    generate_salon_db(salon_db, today=NOW.date())
    mirror = Mirror(paths.mirror)
    try:
        merge_source(mirror, SqliteSource(salon_db), now=NOW)
    finally:
        mirror.close()
    settings = GatewayConfig(kind="twilio", url=fake.url, username=fake.account_sid, token=fake.auth_token,
                             from_number=OUR_NUMBER, rate_limit=25, concurrency=4, timeout=5)
    paths.config_file.write_text(
        "[gateway]\n"
        f'kind = "twilio"\nurl = "{fake.url}"\nusername = "{fake.account_sid}"\n'
        f'token = "{fake.auth_token}"\nfrom_number = "{OUR_NUMBER}"\n'
        "rate_limit = 25\nconcurrency = 4\ntimeout = 5\n",
        encoding="utf-8",
    )
    paths.config_file.chmod(0o600)
    return paths.mirror, settings


def due_count(mirror_path: Path, settings: GatewayConfig, now) -> int:
    """Count what a run at ``now`` will send, after the same reconcile the command does first."""
    routine = Routine(replace(Config(actor="test"), gateway=settings), mirror_path,
                      lambda: build_gateway(settings), clock=lambda: now)
    try:
        routine.reconcile()
        return routine.plan_send(routine.rows_due()).count
    finally:
        routine.close()


LEASE_SECONDS = 1.0


def start_sender(home: Path, count: int, now, lease: float | None = LEASE_SECONDS) -> subprocess.Popen:
    # A one-second claim lease, on the real clock, so that a resumed run
    # takes over a killed run's claims without waiting three minutes.
    env = {**os.environ, "SMSCONFIRM_HOME": str(home)}
    env.pop(LEASE_ENV_VAR, None)
    if lease is not None:
        env[LEASE_ENV_VAR] = str(lease)
    env.pop("SMSCONFIRM_GATEWAY_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "smsconfirm_tui", "send", "--due", f"--yes={count}",
         "--now", now.replace(tzinfo=None).isoformat(timespec="minutes")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def outbox_states(mirror_path: Path) -> dict[str, int]:
    mirror = Mirror(mirror_path)
    try:
        return dict(mirror.connection.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
    finally:
        mirror.close()


def assert_exactly_once(fake: FakeTwilio, mirror_path: Path) -> None:
    per_message = fake.accepted_per_recipient_text()
    duplicates = {key: count for key, count in per_message.items() if count > 1}
    assert duplicates == {}
    assert outbox_states(mirror_path).get("sent", 0) == len(fake.accepted)



def test_killed_senders_never_send_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The counts below must see the killed runs' claims as the next run will.
    monkeypatch.setenv(LEASE_ENV_VAR, str(LEASE_SECONDS))
    rng = random.Random(20261204)
    with FakeTwilio(latency=0.05) as fake:
        mirror_path, settings = prepare_home(tmp_path / "home", fake)
        total = due_count(mirror_path, settings, NOW)
        assert total >= 20
        kills = 0
        now = NOW
        for _ in range(15):
            count = due_count(mirror_path, settings, now)
            if count == 0:
                break
            process = start_sender(tmp_path / "home", count, now)
            time.sleep(rng.uniform(0.8, 2.5))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.communicate(timeout=30)
            # A killed sender's last request still finishes at the provider
            # within the lease; the next run takes over only after it.
            time.sleep(LEASE_SECONDS + 0.2)
            now += timedelta(minutes=5)

        final = due_count(mirror_path, settings, now)
        if final:
            process = start_sender(tmp_path / "home", final, now)
            _, errors = process.communicate(timeout=60)
            assert process.returncode == 0, errors
        assert kills >= 1
        assert_exactly_once(fake, mirror_path)
        assert len(fake.accepted) == total
        states = outbox_states(mirror_path)
        assert set(states) == {"sent"}


def test_two_senders_at_once_never_send_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LEASE_ENV_VAR, str(LEASE_SECONDS))
    with FakeTwilio(latency=0.03) as fake:
        mirror_path, settings = prepare_home(tmp_path / "home", fake)
        count = due_count(mirror_path, settings, NOW)
        first = start_sender(tmp_path / "home", count, NOW)
        second = start_sender(tmp_path / "home", count, NOW)
        first.communicate(timeout=60)
        second.communicate(timeout=60)
        leftover = due_count(mirror_path, settings, NOW)
        if leftover:
            last = start_sender(tmp_path / "home", leftover, NOW)
            last.communicate(timeout=60)
        assert_exactly_once(fake, mirror_path)
        assert len(fake.accepted) == count


def test_send_refuses_wrong_count(tmp_path: Path) -> None:
    with FakeTwilio() as fake:
        mirror_path, settings = prepare_home(tmp_path / "home", fake)
        count = due_count(mirror_path, settings, NOW)
        process = start_sender(tmp_path / "home", count + 1, NOW)
        output, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"--yes={count}" in errors
    assert fake.accepted == []


def test_later_pretended_time_takes_no_claims(tmp_path: Path) -> None:
    # A second run that pretends a later time must still respect the first
    # run's claims: the lease runs on the real clock.
    with FakeTwilio(latency=1.0) as fake:
        mirror_path, settings = prepare_home(tmp_path / "home", fake)
        count = due_count(mirror_path, settings, NOW)
        first = start_sender(tmp_path / "home", count, NOW, lease=None)
        time.sleep(1.5)
        later = NOW + timedelta(minutes=10)
        second = start_sender(tmp_path / "home", due_count(mirror_path, settings, later), later, lease=None)
        first.communicate(timeout=120)
        second.communicate(timeout=120)
        assert_exactly_once(fake, mirror_path)
