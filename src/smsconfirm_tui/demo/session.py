"""Demo mode: a generated salon, a loopback SMS gateway and a mirror, ready for the app."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from smsconfirm_tui.config import Config, GatewayConfig, SourceConfig
from smsconfirm_tui.demo.salon import generate_salon_db
from smsconfirm_tui.gateway.demo import DemoGateway
from smsconfirm_tui.gateway.demo_server import DemoGatewayServer
from smsconfirm_tui.paths import Paths
from smsconfirm_tui.routine import Routine
from smsconfirm_tui.store.mirror import Mirror
from smsconfirm_tui.sync.errors import SyncSummary
from smsconfirm_tui.sync.merge import merge_source
from smsconfirm_tui.sync.salon_db import SqliteSource


@dataclass
class DemoSession:
    routine: Routine
    server: DemoGatewayServer
    sync_summary: SyncSummary
    salon_db: Path

    def close(self) -> None:
        self.routine.close()
        self.server.stop()


def prepare_demo(
    paths: Paths,
    config: Config,
    *,
    now: datetime,
    clock=None,
    seed: int = 7,
    reply_delay: float = 0.0,
) -> DemoSession:
    """Make (or refresh) the demo salon for ``now``'s date, sync it and start the gateway."""
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    salon_db = paths.data_dir / "demo-salon.sqlite"
    marker = paths.data_dir / "demo-salon.date"
    today = now.date()
    if not salon_db.exists() or _marker_date(marker) != today:
        generate_salon_db(salon_db, today=today, seed=seed)
        marker.write_text(today.isoformat(), encoding="utf-8")

    mirror = Mirror(paths.mirror)
    try:
        summary = merge_source(mirror, SqliteSource(salon_db), now=now)
    finally:
        mirror.close()

    token = secrets.token_urlsafe(24)
    offset = (now - datetime.now(now.tzinfo)).total_seconds() if clock else 0.0
    server = DemoGatewayServer(
        paths.data_dir / "demo-gateway.sqlite", token=token, reply_delay=reply_delay, clock_offset=offset
    )
    server.start()
    gateway_config = GatewayConfig(kind="demo", url=server.url, token=token, timeout=config.gateway.timeout)
    config = replace(config, source=SourceConfig(kind="sqlite", path=salon_db), gateway=gateway_config)
    routine = Routine(
        config,
        paths.mirror,
        lambda: DemoGateway(gateway_config.url, gateway_config.token, timeout=gateway_config.timeout),
        **({"clock": clock} if clock else {}),
    )
    return DemoSession(routine, server, summary, salon_db)


def _marker_date(marker: Path) -> date | None:
    try:
        return date.fromisoformat(marker.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
