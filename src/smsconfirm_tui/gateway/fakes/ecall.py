"""A fake eCall HTTPS interface on loopback: send with JobID, state by JobID, message cache."""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo
from xml.sax.saxutils import escape

from smsconfirm_tui.gateway.fakes.common import (
    AcceptedMessage,
    FakeProvider,
    FakeReply,
    FakeRequest,
    SendAttempt,
)
from smsconfirm_tui.gateway.http_gateway import from_international_zeros, to_international_zeros
from smsconfirm_tui.gateway.http_util import is_e164

ECALL_TIME_ZONE = ZoneInfo("Europe/Zurich")


@dataclass
class _Cached:
    message_id: str
    from_number: str
    to_number: str
    text: str
    at: float


class FakeEcall(FakeProvider):
    """eCall's HTTPS interface. A send gets HTTP 200 with an XML result, and errors carry result codes.

    With ``errors_as_200`` the fake rejects an invalid number with HTTP 200
    and result code 11100 in the body, the way some gateways report errors.
    """

    name = "ecall"

    def __init__(self, username: str = "salon-user", password: str = "ecall-test-password", *,
                 latency: float = 0.0, delivered_after: float = 0.0, errors_as_200: bool = False) -> None:
        super().__init__(latency=latency)
        self.username = username
        self.password = password
        self.delivered_after = delivered_after
        self.errors_as_200 = errors_as_200
        self._cache: list[_Cached] = []
        self._cache_lock = threading.Lock()
        self._next_cache_id = 1

    def add_inbound(self, from_number: str, to_number: str, text: str, *, at: float | None = None) -> str:
        with self._cache_lock:
            message_id = f"{self._next_cache_id}"
            self._next_cache_id += 1
            self._cache.append(_Cached(message_id, from_number, to_number, text, at or time.time()))
        return message_id

    def cached_count(self) -> int:
        with self._cache_lock:
            return len(self._cache)

    # --- wire format -------------------------------------------------------------

    def _params(self, request: FakeRequest) -> dict[str, str]:
        return {**request.query, **request.form}

    def authorized(self, request: FakeRequest) -> bool:
        params = self._params(request)
        return hmac.compare_digest(params.get("UserName", ""), self.username) and hmac.compare_digest(
            params.get("Password", ""), self.password
        )

    def unauthorized_reply(self) -> FakeReply:
        return _result(401, "11001", "PermissionDenied")

    def is_send(self, request: FakeRequest) -> bool:
        return request.path.lower() == "/api/sms"

    def parse_send(self, request: FakeRequest) -> SendAttempt | FakeReply:
        params = self._params(request)
        to = from_international_zeros(params.get("Address", ""))
        job_id = params.get("JobID", "")
        if not is_e164(to):
            return _result(200 if self.errors_as_200 else 400, "11100", "AdrAdCInvalid")
        if not params.get("Message"):
            return _result(400, "11000", "SyntaxError")
        if len(job_id) > 50:
            return _result(400, "11000", "SyntaxError")
        return SendAttempt(to, params["Message"], params.get("CallBack", ""), job_id or None)

    def accepted_reply(self, message: AcceptedMessage) -> FakeReply:
        return _result(200, "0", "OK")

    def route(self, request: FakeRequest) -> FakeReply:
        path = request.path.lower()
        params = self._params(request)
        if path == "/api/state":
            return self._state(params.get("JobID", ""))
        if path == "/api/cache/getnextmessage":
            return self._next_cached(params.get("MobileNumber"))
        if path == "/api/cache/deletemessage":
            with self._cache_lock:
                self._cache = [item for item in self._cache if item.message_id != params.get("MessageID")]
            return _cache_result("0", "OK")
        return _result(404, "11000", "SyntaxError")

    def _state(self, job_id: str) -> FakeReply:
        with self._lock:
            found = [message for message in self.accepted if message.reference == job_id]
        statuses = []
        for message in found:
            delivered = time.time() >= message.accepted_at + self.delivered_after
            code, text = ("1", "Delivered") if delivered else ("0", "In progress")
            statuses.append(
                f"<Status><JobID>{escape(job_id)}</JobID><Address>{to_international_zeros(message.to)}</Address>"
                f"<StatusCode>{code}</StatusCode><StatusText>{text}</StatusText>"
                f"<TimeStamp>{datetime.fromtimestamp(message.accepted_at, ECALL_TIME_ZONE):%Y-%m-%dT%H:%M:%S}</TimeStamp>"
                "</Status>"
            )
        return FakeReply.xml(200, f"<Statuses>{''.join(statuses)}</Statuses>")

    def _next_cached(self, mobile_number: str | None) -> FakeReply:
        with self._cache_lock:
            candidates = [item for item in self._cache
                          if not mobile_number or item.to_number == from_international_zeros(mobile_number)]
            if not candidates:
                return _cache_result("11204", "CacheEmpty")
            item = min(candidates, key=lambda cached: cached.at)
        # eCall writes times in its local Swiss time, without an offset.
        stamp = datetime.fromtimestamp(item.at, ECALL_TIME_ZONE).strftime("%d.%m.%Y %H:%M:%S")
        return FakeReply.xml(
            200,
            "<IncomingSMS><Result><ResultCode>0</ResultCode><ResultText>OK</ResultText></Result>"
            f"<MessageID>{item.message_id}</MessageID><SMS><Message>{escape(item.text)}</Message>"
            f"<AddressTo>{to_international_zeros(item.to_number)}</AddressTo>"
            f"<AddressFrom>{to_international_zeros(item.from_number)}</AddressFrom>"
            f"<TimeStamp>{stamp}</TimeStamp></SMS></IncomingSMS>",
        )


def _result(status: int, code: str, text: str) -> FakeReply:
    return FakeReply.xml(status, f"<Response><ResultCode>{code}</ResultCode><ResultText>{text}</ResultText></Response>")


def _cache_result(code: str, text: str) -> FakeReply:
    return FakeReply.xml(200, f"<IncomingSMS><Result><ResultCode>{code}</ResultCode>"
                              f"<ResultText>{text}</ResultText></Result></IncomingSMS>")
