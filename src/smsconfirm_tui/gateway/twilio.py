"""The Twilio Programmable Messaging adapter (REST API version 2010-04-01).

Wire format, as documented by Twilio for the Message resource:

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with the form
  fields ``To``, ``From`` and ``Body`` and HTTP Basic auth
  (Account SID : Auth Token) returns 201 and the message as JSON, with its
  ``sid`` and ``status``.
- ``GET …/Messages/{Sid}.json`` returns one message.
- ``GET …/Messages.json?To=…&From=…&PageSize=…`` lists messages, newest
  first, in ``messages`` with ``next_page_uri`` for the next page.
- Errors carry ``{"code", "message", "more_info", "status"}``. The codes read
  here are 21211 (invalid To number), 21614 (To is not a mobile number) and
  21610 (the recipient replied STOP and is unsubscribed).

Twilio takes no client reference, so a message whose send outcome was lost
is found again by listing the messages to its number since it was claimed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
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
from smsconfirm_tui.gateway.http_gateway import HttpGateway, json_object
from smsconfirm_tui.gateway.http_util import is_e164

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://api.twilio.com"

INVALID_NUMBER_CODES = frozenset({21211, 21614})
UNSUBSCRIBED_CODE = 21610

DELIVERY_STATES = {
    "accepted": DeliveryState.ACCEPTED,
    "scheduled": DeliveryState.ACCEPTED,
    "queued": DeliveryState.ACCEPTED,
    "sending": DeliveryState.ACCEPTED,
    "sent": DeliveryState.ACCEPTED,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.DELIVERED,
    "undelivered": DeliveryState.FAILED,
    "failed": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}

# A message created up to this long before the claim still counts as ours,
# because the claim time and Twilio's clock come from different machines.
CLOCK_SLACK = timedelta(minutes=2)


class TwilioGateway(HttpGateway):
    name = "twilio"
    page_size = 100
    max_pages = 20

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str = "",
        base_url: str = DEFAULT_URL,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("Twilio needs the Account SID as gateway user name and the Auth Token as token")
        if from_number and not is_e164(from_number):
            raise ValueError(f"invalid Twilio from_number {from_number!r}: write it in E.164, e.g. +41445551234")
        super().__init__(
            base_url,
            secrets=[auth_token],
            timeout=timeout,
            transport=transport,
            auth=(account_sid, auth_token),
            headers={"Accept": "application/json"},
        )
        self.from_number = from_number
        # Replies reach only a phone number, never an alphanumeric sender name.
        self.supports_replies = bool(from_number)
        self._root = f"/2010-04-01/Accounts/{quote(account_sid, safe='')}"

    # --- send ----------------------------------------------------------------

    def send(self, sms: OutgoingSms) -> SendResult:
        form = {"To": sms.to, "From": self.from_number or sms.sender, "Body": sms.text}
        response = self._send_request("POST", f"{self._root}/Messages.json", data=form)
        result = response if isinstance(response, SendResult) else self._send_result(response)
        return self._log_send(sms, result)

    def _send_result(self, response: httpx.Response) -> SendResult:
        body = json_object(response)
        status = response.status_code
        if 200 <= status < 300:
            sid = body.get("sid")
            if isinstance(sid, str) and sid:
                return SendResult(SendOutcome.ACCEPTED, provider_id=sid)
            return SendResult(
                SendOutcome.UNKNOWN,
                error=f"Twilio responded with HTTP {status} and an unreadable body; the message may have been accepted",
                answered=True,
            )

        code = body.get("code")
        detail = self._detail(body.get("message") if isinstance(body.get("message"), str) else None,
                              response.reason_phrase or "no details")
        shared = self._status_result(response, detail)
        if shared is not None:
            return shared
        if code == UNSUBSCRIBED_CODE:
            return SendResult(SendOutcome.REJECTED, error=f"the recipient unsubscribed (Twilio {code})",
                              opted_out=True)
        if code in INVALID_NUMBER_CODES:
            return SendResult(SendOutcome.REJECTED, error=f"invalid phone number (Twilio {code}): {detail}")
        if 400 <= status < 500:
            return SendResult(SendOutcome.REJECTED,
                              error=f"Twilio rejected the message (HTTP {status}, code {code}): {detail}")
        return SendResult(SendOutcome.UNKNOWN,
                          error=f"unexpected HTTP {status} from Twilio; the message may have been accepted")

    # --- status ----------------------------------------------------------------

    def delivery_report(self, reference: str, lookup: StatusLookup | None = None) -> DeliveryReport:
        """Fetch the state by Twilio's message SID, or find the message by number, text and time."""
        lookup = lookup or StatusLookup()
        if lookup.provider_id:
            return self._report_by_sid(reference, lookup.provider_id)
        if not lookup.to or lookup.claimed_at is None:
            raise GatewayError(
                f"status of {reference}: Twilio needs the message SID, or the number and claim time"
            )
        return self._report_by_listing(reference, lookup)

    def _report_by_sid(self, reference: str, sid: str) -> DeliveryReport:
        action = f"status of {reference}"
        response = self._get(f"{self._root}/Messages/{quote(sid, safe='')}.json", action)
        if response.status_code == 404:
            return DeliveryReport(reference, DeliveryState.NOT_FOUND)
        if response.status_code != 200:
            raise GatewayError(f"{action} failed: Twilio responded with HTTP {response.status_code}")
        message = json_object(response)
        if not isinstance(message.get("sid"), str):
            raise GatewayError(f"{action} failed: Twilio sent an unreadable body")
        return _report(reference, message)

    def _report_by_listing(self, reference: str, lookup: StatusLookup) -> DeliveryReport:
        assert lookup.claimed_at is not None
        since = lookup.claimed_at - CLOCK_SLACK
        params = {"To": lookup.to or "", "PageSize": self.page_size}
        if self.from_number:
            params["From"] = self.from_number
        for message in self._list_messages(params, since, f"status of {reference}"):
            if message.get("direction", "outbound-api") == "inbound":
                continue
            if lookup.text is not None and message.get("body") != lookup.text:
                continue
            return _report(reference, message)
        return DeliveryReport(reference, DeliveryState.NOT_FOUND)

    def _list_messages(self, params: dict[str, Any], since: datetime, action: str) -> list[dict[str, Any]]:
        """List messages newest first, following pages until one is older than ``since``."""
        found: list[dict[str, Any]] = []
        path: str | None = f"{self._root}/Messages.json"
        query: dict[str, Any] | None = params
        for _ in range(self.max_pages):
            if path is None:
                break
            response = self._get(path, action, params=query)
            if response.status_code != 200:
                raise GatewayError(f"{action} failed: Twilio responded with HTTP {response.status_code}")
            body = json_object(response)
            messages = body.get("messages")
            if not isinstance(messages, list):
                raise GatewayError(f"{action} failed: Twilio sent an unreadable body")
            older = False
            for message in messages:
                if not isinstance(message, dict):
                    raise GatewayError(f"{action} failed: a message is not a JSON object")
                created = _twilio_date(message.get("date_created"))
                if created is not None and created < since:
                    older = True
                    break
                found.append(message)
            next_page = body.get("next_page_uri")
            if older or not isinstance(next_page, str) or not next_page:
                break
            # next_page_uri already carries the query string.
            path, query = next_page, None
        return found

    # --- replies ----------------------------------------------------------------

    def fetch_replies(self, cursor: str | None = None) -> ReplyBatch:
        """List inbound messages to our number received at or after ``cursor`` (ISO 8601).

        Replies at exactly the cursor time come again; the reply store skips
        them by their SID.
        """
        if not self.from_number:
            raise GatewayError("fetching replies failed: set gateway.from_number to the Twilio number")
        since = datetime.fromisoformat(cursor) if cursor else datetime.now(timezone.utc) - timedelta(days=14)
        params = {"To": self.from_number, "PageSize": self.page_size}
        replies: list[InboundSms] = []
        newest = since
        for message in self._list_messages(params, since, "fetching replies"):
            if message.get("direction") != "inbound":
                continue
            reply = _parse_inbound(message)
            replies.append(reply)
            newest = max(newest, reply.received_at)
        replies.sort(key=lambda reply: reply.received_at)
        return ReplyBatch(replies, newest.isoformat())


def _report(reference: str, message: dict[str, Any]) -> DeliveryReport:
    status = message.get("status")
    state = DELIVERY_STATES.get(status, DeliveryState.UNKNOWN) if isinstance(status, str) else DeliveryState.UNKNOWN
    error = None
    if message.get("error_code"):
        error = f"Twilio error {message.get('error_code')}: {message.get('error_message') or 'no details'}"
    sid = message.get("sid")
    return DeliveryReport(reference, state, provider_id=sid if isinstance(sid, str) else None, error=error)


def _twilio_date(value: Any) -> datetime | None:
    """Parse Twilio's RFC 2822 dates, e.g. ``Tue, 26 Jul 2016 12:50:07 +0000``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _parse_inbound(message: dict[str, Any]) -> InboundSms:
    sid = message.get("sid")
    sender = message.get("from")
    text = message.get("body")
    received = _twilio_date(message.get("date_sent")) or _twilio_date(message.get("date_created"))
    if not isinstance(sid, str) or not isinstance(text, str):
        raise GatewayError("fetching replies failed: an inbound message has no sid or body")
    if not isinstance(sender, str) or not is_e164(sender):
        raise GatewayError(f"fetching replies failed: inbound message {sid} has an invalid sender number")
    if received is None:
        raise GatewayError(f"fetching replies failed: inbound message {sid} has no readable date")
    return InboundSms(sid, sender, text, received)
