"""Plumbing shared by the provider adapters: one httpx client, error mapping, redaction.

Every adapter maps the transport outcome of a send request the same way:

- no connection was made (connect error or timeout, pool timeout): RETRY,
  because no byte of the request reached the provider;
- a timeout or broken connection after the request was written: UNKNOWN,
  because the provider may have taken the message;
- HTTP 429: RETRY after the ``Retry-After`` delay;
- HTTP 5xx: UNKNOWN with ``answered=True``, so the sender asks the provider
  for the message before it tries again;
- HTTP 401 and 403: REJECTED, because retrying with the same credentials
  cannot succeed.

The provider-specific body is read by each adapter, because several
providers answer HTTP 200 with an error inside.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import httpx

from smsconfirm_tui import __version__
from smsconfirm_tui.gateway.base import GatewayError, OutgoingSms, SendOutcome, SendResult
from smsconfirm_tui.gateway.http_util import mask_phone, parse_retry_after, redact

logger = logging.getLogger(__name__)

MAX_DETAIL_CHARS = 200
AUTH_FAILED = "authentication failed: check the gateway user name and token"


class HttpGateway:
    """Base class of the provider adapters: owns the client and hides the secrets.

    ``send`` never raises for network or HTTP problems. ``delivery_report``
    and ``fetch_replies`` raise GatewayError instead.
    """

    name = "http"
    supports_replies = False

    def __init__(
        self,
        base_url: str,
        *,
        secrets: Iterable[str],
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._secrets = [secret for secret in secrets if secret]
        # trust_env=False: proxy variables must not send requests elsewhere.
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            headers={"User-Agent": f"smsconfirm/{__version__}", **(headers or {})},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def __enter__(self) -> HttpGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- sending -----------------------------------------------------------

    def _send_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response | SendResult:
        """Make a send request; return the response, or a SendResult when the transport failed."""
        try:
            return self._client.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return SendResult(SendOutcome.RETRY, error=self._network_error("could not connect", exc))
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            return SendResult(SendOutcome.REJECTED, error=self._network_error("invalid gateway URL", exc))
        except httpx.TimeoutException as exc:
            return SendResult(
                SendOutcome.UNKNOWN,
                error=self._network_error("timed out after sending; the message may have been accepted", exc),
            )
        except httpx.RequestError as exc:
            return SendResult(
                SendOutcome.UNKNOWN,
                error=self._network_error(
                    "connection failed after sending; the message may have been accepted", exc
                ),
            )

    def _status_result(self, response: httpx.Response, detail: str) -> SendResult | None:
        """Map the HTTP statuses every provider shares; return None for the adapter to decide."""
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(timezone.utc))
            return SendResult(
                SendOutcome.RETRY,
                error=f"gateway rate limit reached (HTTP 429): {detail}",
                retry_after=retry_after,
            )
        if status in (401, 403) and self._is_auth_error(response):
            return SendResult(SendOutcome.REJECTED, error=AUTH_FAILED)
        if 500 <= status < 600:
            return SendResult(
                SendOutcome.UNKNOWN,
                error=f"gateway failed (HTTP {status}): {detail}; the message may have been accepted",
                answered=True,
            )
        return None

    def _is_auth_error(self, response: httpx.Response) -> bool:
        return True

    def _log_send(self, sms: OutgoingSms, result: SendResult) -> SendResult:
        log = logger.info if result.outcome is SendOutcome.ACCEPTED else logger.warning
        log(
            "%s send reference=%s to=%s: %s%s",
            self.name,
            sms.reference,
            mask_phone(sms.to),
            result.outcome,
            f" ({result.error})" if result.error else "",
        )
        return result

    # --- lookups -----------------------------------------------------------

    def _get(self, path: str, action: str, **kwargs: Any) -> httpx.Response:
        return self._request("GET", path, action, **kwargs)

    def _request(self, method: str, path: str, action: str, **kwargs: Any) -> httpx.Response:
        """Make a lookup request and raise GatewayError on network errors, 401 and 5xx."""
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GatewayError(f"{action} failed: {self._network_error('network error', exc)}") from None
        except httpx.InvalidURL as exc:
            raise GatewayError(f"{action} failed: invalid gateway URL {self.base_url!r}: {exc}") from None
        if response.status_code == 401:
            raise GatewayError(f"{action} failed: {AUTH_FAILED}")
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayError(f"{action} failed: gateway responded with HTTP {response.status_code}")
        return response

    # --- redaction ---------------------------------------------------------

    def _network_error(self, summary: str, exc: Exception) -> str:
        return self._redact(f"{summary} ({self.base_url}): {type(exc).__name__}: {exc}")

    def _redact(self, text: str) -> str:
        return redact(text[: MAX_DETAIL_CHARS * 2], self._secrets)

    def _detail(self, text: str | None, fallback: str) -> str:
        """Return a short, secret-free description from a provider's error text."""
        if not text:
            return fallback
        return redact(text[:MAX_DETAIL_CHARS], self._secrets)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """Return the body as a JSON object, or an empty dict when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def to_international_zeros(e164: str) -> str:
    """Write ``+41791234567`` as ``0041791234567``, the number format eCall expects."""
    return "00" + e164[1:] if e164.startswith("+") else e164


def from_international_zeros(number: str) -> str:
    """Write ``0041791234567`` as ``+41791234567``; other values come back stripped."""
    number = number.strip().replace(" ", "")
    if number.startswith("00"):
        return "+" + number[2:]
    return number
