"""The eCall adapter (Swiss provider), over eCall's HTTPS interface.

Wire format, as eCall documents its HTTPS interface:

- ``POST /api/sms`` with the form fields ``UserName``, ``Password``,
  ``Address`` (international with leading zeros, e.g. ``0041791234567``),
  ``Message``, ``JobID`` (our own id, up to 50 characters) and ``CallBack``
  (the sender). HTTP 200 means accepted; 400 carries an eCall result code,
  401 means bad credentials, 403 too few credits, 500 a general error.
- ``GET /api/State?UserName&Password&JobID`` returns XML
  ``<Statuses><Status><StatusCode/><StatusText/><TimeStamp/>…</Status></Statuses>``.
- ``GET /api/Cache/GetNextMessage`` returns the oldest inbound SMS of the
  message cache as ``<IncomingSMS>`` (result code 11204 when the cache is
  empty), and ``GET /api/Cache/DeleteMessage?MessageID=…`` removes it.

The result codes read here are 0 (OK) and 11100 (invalid recipient
address). A body with another result code is an error, even with HTTP 200.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

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
from smsconfirm_tui.gateway.http_gateway import HttpGateway, from_international_zeros, to_international_zeros
from smsconfirm_tui.gateway.http_util import is_e164

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://url.ecall.ch"
ECALL_TIME_ZONE = ZoneInfo("Europe/Zurich")  # eCall's local time, used for times without an offset

RESULT_OK = "0"
RESULT_INVALID_ADDRESS = "11100"
RESULT_CACHE_EMPTY = "11204"
MAX_JOB_ID_CHARS = 50
MAX_XML_BYTES = 256 * 1024


class EcallGateway(HttpGateway):
    name = "ecall"
    # Cached replies read per fetch_replies call; the rest come with the next call.
    max_replies_per_fetch = 200

    def __init__(
        self,
        username: str,
        password: str,
        *,
        from_number: str = "",
        base_url: str = DEFAULT_URL,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not username or not password:
            raise ValueError("eCall needs the gateway user name and the password as token")
        super().__init__(base_url, secrets=[password], timeout=timeout, transport=transport)
        self._credentials = {"UserName": username, "Password": password}
        self.from_number = from_number
        # Replies reach the leased number, so the cache is read only when one is configured.
        self.supports_replies = bool(from_number)

    # --- send ----------------------------------------------------------------

    def send(self, sms: OutgoingSms) -> SendResult:
        if len(sms.reference) > MAX_JOB_ID_CHARS:
            return self._log_send(sms, SendResult(
                SendOutcome.REJECTED, error=f"reference {sms.reference!r} is longer than eCall's 50-character JobID"
            ))
        form = {
            **self._credentials,
            "Address": to_international_zeros(sms.to),
            "Message": sms.text,
            "JobID": sms.reference,
            "CallBack": self.from_number and to_international_zeros(self.from_number) or sms.sender,
        }
        response = self._send_request("POST", "/api/sms", data=form)
        result = response if isinstance(response, SendResult) else self._send_result(response)
        return self._log_send(sms, result)

    def _send_result(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        code, text = _result_code(response.text)
        detail = self._detail(text or None, response.reason_phrase or "no details")
        if status == 200:
            # HTTP 200 means accepted, unless the body carries another result code
            # or cannot be read at all: then a status lookup by JobID settles it.
            if code == RESULT_OK or (code is None and not response.text.strip()):
                return SendResult(SendOutcome.ACCEPTED, provider_id=None)
            return self._error_code_result(code, detail, status)
        shared = self._status_result(response, detail)
        if shared is not None:
            return shared
        if status == 403:
            return SendResult(SendOutcome.REJECTED, error=f"eCall rejected the message: too few credits ({detail}); top up the eCall account")
        if status == 400:
            return self._error_code_result(code, detail, status)
        if 400 <= status < 500:
            return SendResult(SendOutcome.REJECTED, error=f"eCall rejected the message (HTTP {status}): {detail}")
        return SendResult(SendOutcome.UNKNOWN,
                          error=f"unexpected HTTP {status} from eCall; the message may have been accepted")

    def _error_code_result(self, code: str | None, detail: str, status: int) -> SendResult:
        if code == RESULT_INVALID_ADDRESS:
            return SendResult(SendOutcome.REJECTED, error=f"invalid phone number (eCall {code}): {detail}")
        if code is None:
            # HTTP 200 with a body that is neither OK nor an eCall result.
            return SendResult(SendOutcome.UNKNOWN, answered=True,
                              error=f"eCall responded with HTTP {status} and an unreadable body; "
                                    "the message may have been accepted")
        return SendResult(SendOutcome.REJECTED, error=f"eCall rejected the message (result {code}): {detail}")

    def _is_auth_error(self, response: httpx.Response) -> bool:
        # eCall uses 403 for "too few credits", not for bad credentials.
        return response.status_code == 401

    # --- status ----------------------------------------------------------------

    def delivery_report(self, reference: str, lookup: StatusLookup | None = None) -> DeliveryReport:
        """Fetch the state of the message sent with JobID ``reference``."""
        action = f"status of {reference}"
        response = self._get("/api/State", action, params={**self._credentials, "JobID": reference})
        if response.status_code != 200:
            code, text = _result_code(response.text)
            raise GatewayError(f"{action} failed: eCall responded with HTTP {response.status_code}, "
                               f"result {code}: {self._detail(text, 'no details')}")
        root = _parse_xml(response.text, action)
        statuses = root.findall(".//Status")
        if not statuses:
            return DeliveryReport(reference, DeliveryState.NOT_FOUND)
        latest = statuses[-1]
        status_text = (latest.findtext("StatusText") or "").strip()
        state = _delivery_state(status_text)
        error = self._detail(status_text, "not delivered") if state is DeliveryState.FAILED else None
        return DeliveryReport(reference, state, error=error)

    # --- replies ---------------------------------------------------------------

    def fetch_replies(self, cursor: str | None = None) -> ReplyBatch:
        """Read and delete up to ``max_replies_per_fetch`` replies from eCall's message cache.

        eCall hands out the oldest cached message until it is deleted, so the
        cursor is not needed.
        """
        # NOTE: a reply is deleted from the cache before the caller stores it,
        # so a crash between the two loses that reply.
        replies: list[InboundSms] = []
        params = dict(self._credentials)
        if self.from_number:
            params["MobileNumber"] = self.from_number
        for _ in range(self.max_replies_per_fetch):
            response = self._get("/api/Cache/GetNextMessage", "fetching replies", params=params)
            root = _parse_xml(response.text, "fetching replies")
            code = (root.findtext("Result/ResultCode") or "").strip()
            if code == RESULT_CACHE_EMPTY:
                break
            if code != RESULT_OK:
                text = root.findtext("Result/ResultText") or "no details"
                raise GatewayError(f"fetching replies failed: eCall result {code}: {self._detail(text, '')}")
            reply = _parse_cached(root)
            self._get("/api/Cache/DeleteMessage", "deleting a cached reply",
                      params={**self._credentials, "MessageID": reply.provider_id})
            replies.append(reply)
        return ReplyBatch(replies, cursor)


def _result_code(body: str) -> tuple[str | None, str]:
    """Return the eCall result code and text in a response body, or (None, "")."""
    code = re.search(r"<(?:ResultCode|ResponseCode)>\s*(-?\d+)\s*</", body)
    text = re.search(r"<(?:ResultText|ResponseText)>([^<]*)</", body)
    return (code.group(1) if code else None), (text.group(1).strip() if text else "")


def _parse_xml(body: str, action: str) -> ElementTree.Element:
    if len(body) > MAX_XML_BYTES:
        raise GatewayError(f"{action} failed: eCall sent more than {MAX_XML_BYTES} bytes")
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        raise GatewayError(f"{action} failed: eCall sent XML with a document type, which is not accepted")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise GatewayError(f"{action} failed: eCall sent an unreadable body") from None


def _delivery_state(status_text: str) -> DeliveryState:
    # NOTE: eCall's table of status codes was not available when this was
    # written, so the state is read from the status text.
    text = status_text.lower()
    if any(word in text for word in ("not delivered", "undelivered", "error", "failed", "rejected")):
        return DeliveryState.FAILED
    if "delivered" in text:
        return DeliveryState.DELIVERED
    return DeliveryState.ACCEPTED


def _parse_cached(root: ElementTree.Element) -> InboundSms:
    message_id = (root.findtext("MessageID") or "").strip()
    text = root.findtext("SMS/Message")
    sender = from_international_zeros(root.findtext("SMS/AddressFrom") or "")
    stamp = (root.findtext("SMS/TimeStamp") or "").strip()
    if not message_id or text is None:
        raise GatewayError("fetching replies failed: a cached message has no MessageID or text")
    if not is_e164(sender):
        raise GatewayError(f"fetching replies failed: cached message {message_id} has an invalid sender number")
    return InboundSms(message_id, sender, text, _ecall_time(stamp, message_id))


def _ecall_time(stamp: str, message_id: str) -> datetime:
    """Parse ISO 8601 or ``dd.mm.yyyy hh:mm:ss``; a time without offset is eCall's local time."""
    for parse in (datetime.fromisoformat, lambda text: datetime.strptime(text, "%d.%m.%Y %H:%M:%S")):
        try:
            moment = parse(stamp)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ECALL_TIME_ZONE)
        return moment.astimezone(timezone.utc)
    raise GatewayError(f"fetching replies failed: cached message {message_id} has no readable TimeStamp")
