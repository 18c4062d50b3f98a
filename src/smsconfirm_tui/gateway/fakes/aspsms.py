"""A fake ASPSMS JSON API on loopback: send with a transaction reference, delivery notifications."""

from __future__ import annotations

import hmac
import time

from smsconfirm_tui.gateway.fakes.common import (
    AcceptedMessage,
    FakeProvider,
    FakeReply,
    FakeRequest,
    SendAttempt,
)
from smsconfirm_tui.gateway.http_util import is_e164

# Status codes this fake uses for errors inside an HTTP 200 body.
STATUS_INVALID_RECIPIENT = "9"


class FakeAspsms(FakeProvider):
    """ASPSMS answers HTTP 200 for errors too, with ``StatusCode`` other than ``"1"`` in the body."""

    name = "aspsms"

    def __init__(self, userkey: str = "USERKEY123", password: str = "aspsms-test-password", *,
                 latency: float = 0.0, delivered_after: float = 0.0) -> None:
        super().__init__(latency=latency)
        self.userkey = userkey
        self.password = password
        self.delivered_after = delivered_after
        self.unreachable: set[str] = set()

    def authorized(self, request: FakeRequest) -> bool:
        body = request.json if isinstance(request.json, dict) else {}
        return hmac.compare_digest(str(body.get("UserName", "")), self.userkey) and hmac.compare_digest(
            str(body.get("Password", "")), self.password
        )

    def unauthorized_reply(self) -> FakeReply:
        return FakeReply.json(200, {"StatusCode": "3", "StatusInfo": "Authorization failed."})

    def is_send(self, request: FakeRequest) -> bool:
        return request.method == "POST" and request.path == "/SendSimpleTextSMS"

    def parse_send(self, request: FakeRequest) -> SendAttempt | FakeReply:
        body = request.json
        recipients = body.get("Recipients")
        text = body.get("MessageText")
        if not isinstance(recipients, list) or len(recipients) != 1 or not isinstance(recipients[0], str):
            return FakeReply.json(200, {"StatusCode": "7", "StatusInfo": "Recipients missing."})
        number, _, reference = recipients[0].partition(":")
        if not is_e164(number):
            return FakeReply.json(200, {"StatusCode": STATUS_INVALID_RECIPIENT,
                                        "StatusInfo": f"Invalid recipient {number}."})
        if not isinstance(text, str) or not text:
            return FakeReply.json(200, {"StatusCode": "8", "StatusInfo": "MessageText missing."})
        return SendAttempt(number, text, str(body.get("Originator", "")), reference or None)

    def accepted_reply(self, message: AcceptedMessage) -> FakeReply:
        return FakeReply.json(200, {"StatusCode": "1", "StatusInfo": "OK"})

    def route(self, request: FakeRequest) -> FakeReply:
        if request.method == "POST" and request.path == "/InquireDeliveryNotifications":
            wanted = set(str(request.json.get("TransactionReferenceNumbers", "")).split(";"))
            with self._lock:
                found = [message for message in self.accepted if message.reference in wanted]
            notifications = []
            for message in found:
                if time.time() < message.accepted_at + self.delivered_after:
                    status, description = "1", "Buffered"
                elif message.to in self.unreachable:
                    status, description = "2", "Not delivered"
                else:
                    status, description = "0", "Delivered"
                notifications.append({
                    "TransactionReferenceNumber": message.reference,
                    "DeliveryStatus": status,
                    "DeliveryStatusDescription": description,
                    "SubmissionDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(message.accepted_at)),
                    "Reasoncode": "000" if status == "0" else "001",
                })
            return FakeReply.json(200, {"StatusCode": "1", "StatusInfo": "OK",
                                        "DeliveryNotifications": notifications})
        return FakeReply.json(404, {"StatusCode": "0", "StatusInfo": "Unknown method."})
