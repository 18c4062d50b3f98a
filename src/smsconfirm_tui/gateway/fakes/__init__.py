"""Fake SMS providers on loopback that speak each provider's wire format, for tests and benchmarks."""

from smsconfirm_tui.gateway.fakes.aspsms import FakeAspsms
from smsconfirm_tui.gateway.fakes.common import AcceptedMessage, FakeProvider
from smsconfirm_tui.gateway.fakes.ecall import FakeEcall
from smsconfirm_tui.gateway.fakes.twilio import FakeTwilio

__all__ = ["AcceptedMessage", "FakeAspsms", "FakeEcall", "FakeProvider", "FakeTwilio"]
