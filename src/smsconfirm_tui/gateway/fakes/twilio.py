"""A fake Twilio Messages API (2010-04-01) on loopback."""

from __future__ import annotations

import base64
import hmac
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import unquote, urlencode

from smsconfirm_tui.gateway.fakes.common import (
    AcceptedMessage,
    FakeProvider,
    FakeReply,
    FakeRequest,
    SendAttempt,
)
from smsconfirm_tui.gateway.http_util import is_e164

MAX_PAGE_SIZE = 1000


@dataclass
class _Message:
    sid: str
    to: str
    from_: str
    body: str
    direction: str
    created_at: float
    status: str = "queued"
    error_code: int | None = None


class FakeTwilio(FakeProvider):
    """Twilio's Message resource: create, fetch by SID, list; plus inbound replies added by tests.

    ``delivered_after`` seconds after acceptance a message reads as
    ``delivered``, or ``undelivered`` with error 30003 for a number in
    ``unreachable``. Numbers in ``unsubscribed`` get error 21610.
    """

    name = "twilio"

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "twilio-test-token", *,
                 latency: float = 0.0, delivered_after: float = 0.0) -> None:
        super().__init__(latency=latency)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.delivered_after = delivered_after
        self.unsubscribed: set[str] = set()
        self.unreachable: set[str] = set()
        self.invalid: set[str] = set()  # numbers rejected with error 21211
        self._messages: list[_Message] = []
        self._messages_lock = threading.Lock()
        self._root = f"/2010-04-01/Accounts/{account_sid}"

    def new_provider_id(self, sequence: int) -> str:
        return f"SM{sequence:032x}"

    # --- tests add replies here -------------------------------------------------

    def add_inbound(self, from_number: str, to_number: str, text: str, *, at: float | None = None) -> str:
        with self._messages_lock:
            sid = f"SMin{len(self._messages) + 1:030x}"
            self._messages.append(_Message(sid, to_number, from_number, text, "inbound",
                                           at if at is not None else time.time(), "received"))
        return sid

    # --- wire format -------------------------------------------------------------

    def authorized(self, request: FakeRequest) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.account_sid) and hmac.compare_digest(password, self.auth_token)

    def unauthorized_reply(self) -> FakeReply:
        return FakeReply.json(401, {"code": 20003, "message": "Authenticate", "status": 401})

    def is_send(self, request: FakeRequest) -> bool:
        return request.method == "POST" and request.path == f"{self._root}/Messages.json"

    def parse_send(self, request: FakeRequest) -> SendAttempt | FakeReply:
        to = request.form.get("To", "")
        sender = request.form.get("From", "")
        body = request.form.get("Body", "")
        if not is_e164(to) or to in self.invalid:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not sender:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if to in self.unsubscribed:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        return SendAttempt(to, body, sender, None)

    def accepted_reply(self, message: AcceptedMessage) -> FakeReply:
        stored = _Message(message.provider_id, message.to, message.sender, message.text, "outbound-api",
                          message.accepted_at)
        return FakeReply.json(201, self._resource(stored))

    def _record(self, attempt: SendAttempt) -> AcceptedMessage:
        # Store the resource at acceptance, so a message whose response stalls is still listed.
        message = super()._record(attempt)
        with self._messages_lock:
            self._messages.append(_Message(message.provider_id, message.to, message.sender, message.text,
                                           "outbound-api", message.accepted_at))
        return message

    def route(self, request: FakeRequest) -> FakeReply:
        if request.method != "GET":
            return _error(405, 20004, "Method not allowed")
        if request.path == f"{self._root}/Messages.json":
            return self._list(request)
        prefix = f"{self._root}/Messages/"
        if request.path.startswith(prefix) and request.path.endswith(".json"):
            sid = unquote(request.path[len(prefix):-len(".json")])
            with self._messages_lock:
                found = next((m for m in self._messages if m.sid == sid), None)
            if found is None:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            return FakeReply.json(200, self._resource(found))
        return _error(404, 20404, f"The requested resource {request.path} was not found")

    def _list(self, request: FakeRequest) -> FakeReply:
        page_size = min(int(request.query.get("PageSize", "50")), MAX_PAGE_SIZE)
        page = int(request.query.get("Page", "0"))
        with self._messages_lock:
            unique = list(self._messages)
        matching = [
            message for message in sorted(unique, key=lambda m: m.created_at, reverse=True)
            if ("To" not in request.query or message.to == request.query["To"])
            and ("From" not in request.query or message.from_ == request.query["From"])
        ]
        chunk = matching[page * page_size:(page + 1) * page_size]
        next_uri = None
        if (page + 1) * page_size < len(matching):
            query = {**request.query, "Page": str(page + 1), "PageSize": str(page_size)}
            next_uri = f"{self._root}/Messages.json?{urlencode(query)}"
        return FakeReply.json(200, {"messages": [self._resource(m) for m in chunk], "next_page_uri": next_uri,
                                    "page": page, "page_size": page_size})

    def _resource(self, message: _Message) -> dict[str, object]:
        status, error_code = message.status, message.error_code
        if message.direction != "inbound" and time.time() >= message.created_at + self.delivered_after:
            status, error_code = ("undelivered", 30003) if message.to in self.unreachable else ("delivered", None)
        return {
            "sid": message.sid,
            "account_sid": self.account_sid,
            "to": message.to,
            "from": message.from_,
            "body": message.body,
            "status": status,
            "direction": message.direction,
            "date_created": formatdate(message.created_at, usegmt=True),
            "date_sent": formatdate(message.created_at, usegmt=True),
            "error_code": error_code,
            "error_message": "Unreachable destination handset" if error_code == 30003 else None,
            "num_segments": "1",
        }


def _error(status: int, code: int, message: str) -> FakeReply:
    return FakeReply.json(status, {"code": code, "message": message,
                                   "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status})
