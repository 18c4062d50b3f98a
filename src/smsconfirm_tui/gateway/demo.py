"""The Gateway adapter for the loopback demo gateway in ``demo_server``."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx

from smsconfirm_tui.gateway.base import (
    DeliveryReport,
    DeliveryState,
    GatewayError,
    InboundSms,
    OutgoingSms,
    ReplyBatch,
    SendOutcome,
    SendResult,
    StatusLookup,
)
from smsconfirm_tui.gateway.http_gateway import HttpGateway
from smsconfirm_tui.gateway.http_util import is_e164, mask_phone, parse_retry_after, redact

logger = logging.getLogger(__name__)

AUTH_FAILED = "authentication failed: check the gateway token"
MAX_DETAIL_CHARS = 200

_DELIVERY_STATES = {
    "accepted": DeliveryState.ACCEPTED,
    "delivered": DeliveryState.DELIVERED,
    "failed": DeliveryState.FAILED,
}


class DemoGateway(HttpGateway):
    """The demo gateway's JSON API over one ``httpx.Client``.

    ``send`` never raises for network or HTTP problems: it returns a
    SendResult whose outcome shows whether the gateway may have taken the message.
    ``delivery_report`` and ``fetch_replies`` raise GatewayError instead.
    """

    name = "demo"
    supports_replies = True
    # Replies per request to /v1/inbound, and requests per fetch_replies call.
    reply_page_size = 200
    max_reply_pages = 50

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise ValueError("the demo gateway token must not be empty")
        self._token = token
        super().__init__(
            base_url,
            secrets=[token],
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    # --- send --------------------------------------------------------------

    def send(self, sms: OutgoingSms) -> SendResult:
        """Send one SMS and map the response, or the network error, to a SendResult."""
        payload = {"reference": sms.reference, "to": sms.to, "text": sms.text, "sender": sms.sender}
        response = self._send_request("POST", "/v1/messages", json=payload)
        result = response if isinstance(response, SendResult) else self._send_result(response)

        log = logger.info if result.outcome is SendOutcome.ACCEPTED else logger.warning
        log(
            "send reference=%s to=%s: %s%s",
            sms.reference,
            mask_phone(sms.to),
            result.outcome,
            f" ({result.error})" if result.error else "",
        )
        return result

    def _send_result(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        if 200 <= status < 300:
            provider_id = _json_object(response).get("id")
            if isinstance(provider_id, str) and provider_id:
                return SendResult(SendOutcome.ACCEPTED, provider_id=provider_id)
            return SendResult(
                SendOutcome.UNKNOWN,
                error=f"gateway responded with HTTP {status} and an unreadable body; the message may have been accepted",
                answered=True,
            )

        code, detail = self._error_detail(response)
        if status == 401:
            return SendResult(SendOutcome.REJECTED, error=AUTH_FAILED)
        if status == 403 and code == "unsubscribed":
            return SendResult(
                SendOutcome.REJECTED, error="the recipient unsubscribed from SMS", opted_out=True
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(timezone.utc))
            return SendResult(
                SendOutcome.RETRY,
                error=f"gateway rate limit reached (HTTP 429): {detail}",
                retry_after=retry_after,
            )
        if status == 400 and code == "invalid_number":
            return SendResult(SendOutcome.REJECTED, error=f"invalid phone number: {detail}")
        if 400 <= status < 500:
            return SendResult(SendOutcome.REJECTED, error=f"gateway rejected the message (HTTP {status}): {detail}")
        if 500 <= status < 600:
            return SendResult(
                SendOutcome.UNKNOWN,
                error=f"gateway failed (HTTP {status}): {detail}; the message may have been accepted",
                answered=True,
            )
        # The API defines no 1xx or 3xx responses, so whether the message was taken is unknown.
        return SendResult(
            SendOutcome.UNKNOWN,
            error=f"unexpected HTTP {status} from the gateway; the message may have been accepted",
        )

    # --- delivery reports and replies ------------------------------------

    def delivery_report(self, reference: str, lookup: StatusLookup | None = None) -> DeliveryReport:
        """Fetch the delivery state of the message ``reference``; the demo API needs no ``lookup``."""
        response = self._lookup(f"/v1/messages/{quote(reference, safe='')}", {}, f"delivery report for {reference}")
        if response.status_code == 404:
            return DeliveryReport(reference, DeliveryState.NOT_FOUND)
        self._raise_for_status(response, f"delivery report for {reference}")

        body = _json_object(response)
        status = body.get("status")
        provider_id = body.get("id")
        if not isinstance(status, str) or not isinstance(provider_id, str):
            raise GatewayError(f"delivery report for {reference}: gateway sent an unreadable body")
        return DeliveryReport(
            reference,
            _DELIVERY_STATES.get(status, DeliveryState.UNKNOWN),
            provider_id=provider_id,
        )

    def fetch_replies(self, cursor: str | None = None) -> ReplyBatch:
        """Fetch the replies received after ``cursor``, following pages.

        One call makes at most ``max_reply_pages`` requests. Replies beyond
        that come with the next call, which starts from the returned cursor.
        """
        replies: list[InboundSms] = []
        for _ in range(self.max_reply_pages):
            params: dict[str, str | int] = {"limit": self.reply_page_size}
            if cursor is not None:
                params["after"] = cursor
            response = self._lookup("/v1/inbound", params, "fetching replies")
            self._raise_for_status(response, "fetching replies")

            page, cursor = _parse_reply_page(_json_object(response))
            replies.extend(page)
            if len(page) < self.reply_page_size:
                break
        return ReplyBatch(replies, cursor)

    # --- helpers -----------------------------------------------------------

    def _lookup(self, path: str, params: dict[str, str | int], action: str) -> httpx.Response:
        try:
            return self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise GatewayError(f"{action} failed: {self._network_error('network error', exc)}") from None
        except httpx.InvalidURL as exc:
            raise GatewayError(f"{action} failed: invalid gateway URL {self.base_url!r}: {exc}") from None

    def _raise_for_status(self, response: httpx.Response, action: str) -> None:
        status = response.status_code
        if status == 401:
            raise GatewayError(f"{action} failed: {AUTH_FAILED}")
        if not 200 <= status < 300:
            _, detail = self._error_detail(response)
            raise GatewayError(f"{action} failed: gateway responded with HTTP {status}: {detail}")

    def _error_detail(self, response: httpx.Response) -> tuple[str | None, str]:
        """Return the error code and a short, token-free description from an error body."""
        body = _json_object(response)
        code = body.get("error")
        message = body.get("message")
        if not isinstance(code, str):
            code = None
        if isinstance(message, str) and message:
            detail = message
        elif code:
            detail = code
        else:
            detail = response.reason_phrase or "no details"
        return code, redact(detail[:MAX_DETAIL_CHARS], [self._token])


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """Return the body as a JSON object, or an empty dict when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _parse_reply_page(body: dict[str, Any]) -> tuple[list[InboundSms], str]:
    """Parse one ``/v1/inbound`` body, or raise GatewayError if any part is unreadable."""
    raw_replies = body.get("replies")
    cursor = body.get("cursor")
    if not isinstance(raw_replies, list) or not isinstance(cursor, str):
        raise GatewayError("fetching replies failed: gateway sent an unreadable body")
    return [_parse_reply(raw) for raw in raw_replies], cursor


def _parse_reply(raw: Any) -> InboundSms:
    if not isinstance(raw, dict):
        raise GatewayError("fetching replies failed: a reply is not a JSON object")
    provider_id = raw.get("id")
    from_number = raw.get("from")
    text = raw.get("text")
    received_text = raw.get("received_at")
    if not isinstance(provider_id, str) or not isinstance(text, str):
        raise GatewayError("fetching replies failed: a reply has no id or text")
    if not isinstance(from_number, str) or not is_e164(from_number):
        raise GatewayError(f"fetching replies failed: reply {provider_id} has an invalid sender number")
    try:
        received_at = datetime.fromisoformat(received_text) if isinstance(received_text, str) else None
    except ValueError:
        received_at = None
    if received_at is None or received_at.tzinfo is None:
        raise GatewayError(
            f"fetching replies failed: reply {provider_id} has no ISO 8601 received_at with an offset"
        )
    return InboundSms(provider_id, from_number, text, received_at)
