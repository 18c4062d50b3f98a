"""The ASPSMS adapter (Swiss provider), over its JSON API.

Wire format of the ASPSMS JSON API (json.aspsms.com):

- ``POST /SendSimpleTextSMS`` with the JSON body ``{"UserName", "Password",
  "Originator", "Recipients", "MessageText"}``. Each recipient is written as
  ``"+41791234567:REFERENCE"``, which attaches our transaction reference to
  that recipient. The API answers HTTP 200 both on success and on error:
  ``{"StatusCode": "1", "StatusInfo": "OK"}`` means accepted, any other
  code is an error, and ``"3"`` means the credentials are wrong.
- ``POST /InquireDeliveryNotifications`` with ``TransactionReferenceNumbers``
  (references joined by ``;``) returns ``DeliveryNotifications``, each with
  ``TransactionReferenceNumber`` and ``DeliveryStatus``: ``0`` delivered,
  ``1`` buffered, ``2`` not delivered, ``-1`` not yet submitted or rejected.

ASPSMS does not return inbound SMS over this API, so ``supports_replies``
is False and staff see that replies cannot be fetched.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from smsconfirm_tui.gateway.base import (
    DeliveryReport,
    DeliveryState,
    GatewayError,
    OutgoingSms,
    ReplyBatch,
    SendOutcome,
    SendResult,
    StatusLookup,
)
from smsconfirm_tui.gateway.http_gateway import AUTH_FAILED, HttpGateway, json_object

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://json.aspsms.com"
STATUS_OK = "1"
STATUS_AUTH_FAILED = "3"

# NOTE: the meaning of these DeliveryStatus values comes from third-party
# client code, not from ASPSMS's own documentation.
DELIVERY_STATES = {
    "0": DeliveryState.DELIVERED,
    "1": DeliveryState.ACCEPTED,  # buffered at the carrier
    "2": DeliveryState.FAILED,
    "-1": DeliveryState.ACCEPTED,  # not yet submitted to the carrier
}


class AspsmsGateway(HttpGateway):
    name = "aspsms"
    supports_replies = False

    def __init__(
        self,
        userkey: str,
        password: str,
        *,
        base_url: str = DEFAULT_URL,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not userkey or not password:
            raise ValueError("ASPSMS needs the UserKey as gateway user name and the API password as token")
        super().__init__(base_url, secrets=[password], timeout=timeout, transport=transport,
                         headers={"Accept": "application/json"})
        self._credentials = {"UserName": userkey, "Password": password}

    def send(self, sms: OutgoingSms) -> SendResult:
        if ":" in sms.reference or ";" in sms.reference:
            return self._log_send(sms, SendResult(
                SendOutcome.REJECTED, error=f"reference {sms.reference!r} contains ':' or ';'"))
        body = {
            **self._credentials,
            "Originator": sms.sender,
            "Recipients": [f"{sms.to}:{sms.reference}"],
            "MessageText": sms.text,
        }
        response = self._send_request("POST", "/SendSimpleTextSMS", json=body)
        result = response if isinstance(response, SendResult) else self._send_result(response)
        return self._log_send(sms, result)

    def _send_result(self, response: httpx.Response) -> SendResult:
        body = json_object(response)
        code = _status_code(body)
        info = self._detail(body.get("StatusInfo") if isinstance(body.get("StatusInfo"), str) else None,
                            response.reason_phrase or "no details")
        if response.status_code == 200:
            if code == STATUS_OK:
                return SendResult(SendOutcome.ACCEPTED)
            if code == STATUS_AUTH_FAILED:
                return SendResult(SendOutcome.REJECTED, error=AUTH_FAILED)
            if code is None:
                return SendResult(SendOutcome.UNKNOWN, answered=True,
                                  error="ASPSMS responded with HTTP 200 and an unreadable body; "
                                        "the message may have been accepted")
            return SendResult(SendOutcome.REJECTED, error=f"ASPSMS rejected the message (status {code}): {info}")
        shared = self._status_result(response, info)
        if shared is not None:
            return shared
        if 400 <= response.status_code < 500:
            return SendResult(SendOutcome.REJECTED,
                              error=f"ASPSMS rejected the message (HTTP {response.status_code}): {info}")
        return SendResult(SendOutcome.UNKNOWN,
                          error=f"unexpected HTTP {response.status_code} from ASPSMS; "
                                "the message may have been accepted")

    def delivery_report(self, reference: str, lookup: StatusLookup | None = None) -> DeliveryReport:
        """Fetch the delivery notification for the transaction reference ``reference``."""
        action = f"status of {reference}"
        response = self._request("POST", "/InquireDeliveryNotifications", action,
                                 json={**self._credentials, "TransactionReferenceNumbers": reference})
        if response.status_code != 200:
            raise GatewayError(f"{action} failed: ASPSMS responded with HTTP {response.status_code}")
        body = json_object(response)
        code = _status_code(body)
        if code == STATUS_AUTH_FAILED:
            raise GatewayError(f"{action} failed: {AUTH_FAILED}")
        notifications = body.get("DeliveryNotifications")
        if notifications is None and code is not None:
            notifications = []
        if not isinstance(notifications, list):
            raise GatewayError(f"{action} failed: ASPSMS sent an unreadable body")
        for notification in notifications:
            if isinstance(notification, dict) and notification.get("TransactionReferenceNumber") == reference:
                return _report(reference, notification)
        return DeliveryReport(reference, DeliveryState.NOT_FOUND)

    def fetch_replies(self, cursor: str | None = None) -> ReplyBatch:
        """Return no replies, because ASPSMS offers no inbound SMS over this API."""
        return ReplyBatch([], cursor)


def _status_code(body: dict[str, Any]) -> str | None:
    code = body.get("StatusCode")
    if isinstance(code, int) and not isinstance(code, bool):
        return str(code)
    return code if isinstance(code, str) and code else None


def _report(reference: str, notification: dict[str, Any]) -> DeliveryReport:
    status = str(notification.get("DeliveryStatus", ""))
    state = DELIVERY_STATES.get(status, DeliveryState.UNKNOWN)
    error = None
    if state is DeliveryState.FAILED:
        description = notification.get("DeliveryStatusDescription") or "not delivered"
        error = f"ASPSMS: {str(description)[:200]} (reason {notification.get('Reasoncode', '-')})"
    return DeliveryReport(reference, state, error=error)
