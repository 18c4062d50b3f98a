"""Build the configured gateway adapter from the ``[gateway]`` table of the config."""

from __future__ import annotations

import httpx

from smsconfirm_tui.config import GatewayConfig
from smsconfirm_tui.gateway.base import Gateway


class GatewaySetupError(ValueError):
    """The gateway settings are incomplete; the message names the key to set."""


def build_gateway(config: GatewayConfig, *, transport: httpx.BaseTransport | None = None) -> Gateway:
    """Return a new adapter for ``config.kind``; the caller closes it."""
    url = config.base_url
    if not url:
        raise GatewaySetupError(f"gateway.url is missing for gateway.kind = {config.kind!r}")
    if config.kind == "demo":
        from smsconfirm_tui.gateway.demo import DemoGateway

        _require(config, token=True)
        return DemoGateway(url, config.token, timeout=config.timeout, transport=transport)
    if config.kind == "twilio":
        from smsconfirm_tui.gateway.twilio import TwilioGateway

        _require(config, username=True, token=True)
        return TwilioGateway(config.username, config.token, from_number=config.from_number, base_url=url,
                             timeout=config.timeout, transport=transport)
    if config.kind == "ecall":
        from smsconfirm_tui.gateway.ecall import EcallGateway

        _require(config, username=True, token=True)
        return EcallGateway(config.username, config.token, from_number=config.from_number, base_url=url,
                            timeout=config.timeout, transport=transport)
    if config.kind == "aspsms":
        from smsconfirm_tui.gateway.aspsms import AspsmsGateway

        _require(config, username=True, token=True)
        return AspsmsGateway(config.username, config.token, base_url=url, timeout=config.timeout,
                             transport=transport)
    raise GatewaySetupError(f"gateway.kind = {config.kind!r} is not supported: use demo, twilio, ecall or aspsms")


def _require(config: GatewayConfig, *, username: bool = False, token: bool = False) -> None:
    if username and not config.username:
        raise GatewaySetupError(
            f"gateway.username is missing for {config.kind}: set it in the config file "
            "or in SMSCONFIRM_GATEWAY_USERNAME"
        )
    if token and not config.token:
        raise GatewaySetupError(
            f"gateway.token is missing for {config.kind}: set it in the config file (chmod 600) "
            "or in SMSCONFIRM_GATEWAY_TOKEN"
        )
