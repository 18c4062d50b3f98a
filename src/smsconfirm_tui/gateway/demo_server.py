"""The loopback demo SMS gateway: a small JSON API over HTTP, for the demo and the tests.

It listens on 127.0.0.1 only and keeps its state in a SQLite file (see
``demo_state``). Every request needs ``Authorization: Bearer <token>``.

- ``POST /v1/messages`` with ``{"reference", "to", "text", "sender"}``
  returns 201 ``{"id", "status": "accepted"}``.
- ``GET /v1/messages/{reference}`` returns the delivery status.
- ``GET /v1/inbound?after=CURSOR&limit=N`` returns client replies after the cursor.
- ``GET /v1/_stats`` returns how many send requests were accepted, for tests.
- ``POST /v1/_inbound`` with ``{"from", "text"}`` adds a client reply by
  hand, visible at once, for tests and demos of replies the script never sends.
- ``POST /v1/_faults`` queues faults for the next requests, and
  ``DELETE /v1/_faults`` clears the queue. Faults live in this process, not in the file.

Run it alone with ``python -m smsconfirm_tui.gateway.demo_server --db FILE``.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from smsconfirm_tui.gateway import demo_state
from smsconfirm_tui.gateway.http_util import is_e164, mask_phone
from smsconfirm_tui.logging_setup import LOG_FORMAT, VisibleFormatter

logger = logging.getLogger(__name__)

LOOPBACK_HOST = "127.0.0.1"
TOKEN_ENV_VAR = "SMSCONFIRM_DEMO_TOKEN"
DEFAULT_TOKEN = "demo-token"
MAX_BODY_BYTES = 64 * 1024
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_STALL_SECONDS = 60.0
SHUTDOWN_POLL_SECONDS = 0.05

FAULT_MODES = ("status", "retry_after", "accept_then_stall", "reset", "garbled")


@dataclass
class Fault:
    """One queued fault, used by the next ``remaining`` API requests."""

    mode: str
    remaining: int
    status: int = 503
    retry_after: str = ""
    seconds: float = 0.0


class FaultError(ValueError):
    """A fault request that cannot be queued."""


def parse_fault(body: Any) -> Fault:
    """Build a Fault from a ``POST /v1/_faults`` body, or raise FaultError."""
    if not isinstance(body, dict):
        raise FaultError("the body must be a JSON object")
    mode = body.get("mode")
    if mode not in FAULT_MODES:
        raise FaultError(f"mode must be one of {', '.join(FAULT_MODES)}")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FaultError("count must be a positive integer")

    fault = Fault(mode=mode, remaining=count)
    if mode == "status":
        status = body.get("status")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise FaultError("status must be an integer from 400 to 599")
        fault.status = status
    elif mode == "retry_after":
        value = body.get("value")
        if not isinstance(value, str):
            raise FaultError("value must be the Retry-After header as a string")
        fault.status = 429
        fault.retry_after = value
    elif mode == "accept_then_stall":
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_STALL_SECONDS:
            raise FaultError(f"seconds must be a number from 0 to {MAX_STALL_SECONDS:g}")
        fault.seconds = float(seconds)
    return fault


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # Set by DemoGatewayServer right after construction.
    gateway: DemoGatewayServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The base class prints the traceback to stderr, which a TUI owns.
        logger.exception("demo gateway failed on a request from %s", client_address)


class DemoGatewayServer:
    """The demo gateway's HTTP server, serving from a daemon thread after ``start()``."""

    def __init__(
        self,
        db_path: Path,
        token: str,
        port: int = 0,
        reply_delay: float = 0.0,
        seed: int = 1,
        *,
        host: str = LOOPBACK_HOST,
        opted_out: Iterable[str] = (),
        clock_offset: float = 0.0,
    ) -> None:
        if host != LOOPBACK_HOST:
            raise ValueError(
                f"the demo gateway listens on {LOOPBACK_HOST} only, not on {host!r}"
            )
        if not token:
            raise ValueError("the demo gateway token must not be empty")
        if reply_delay < 0:
            raise ValueError(f"reply_delay must be 0 or more seconds, not {reply_delay}")

        self.db_path = Path(db_path)
        self.reply_delay = reply_delay
        # Seconds added to the reply times it reports, so that a demo that
        # pretends another time ("smsconfirm demo --now") gets replies that
        # fit its clock.
        self.clock_offset = clock_offset
        self.seed = seed
        self._token = token.encode()
        self._faults: deque[Fault] = deque()
        self._faults_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

        demo_state.initialize(self.db_path, frozenset(opted_out))
        self._httpd = _HttpServer((host, port), _RequestHandler)
        self._httpd.gateway = self

    def __repr__(self) -> str:
        return f"DemoGatewayServer(url={self.url!r}, db_path={str(self.db_path)!r})"

    @property
    def url(self) -> str:
        port = self._httpd.server_address[1]
        return f"http://{LOOPBACK_HOST}:{port}"

    def start(self) -> None:
        """Serve requests from a daemon thread until ``stop()``."""
        if self._thread is not None:
            raise RuntimeError("the demo gateway server is already running")
        # serve_forever checks for shutdown once per poll interval, so stop() waits at most that long.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="demo-gateway",
            daemon=True,
        )
        self._thread.start()
        logger.info("demo gateway started at %s with database %s", self.url, self.db_path)

    def stop(self) -> None:
        """Stop serving, wake stalled requests and close the socket."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        logger.info("demo gateway at %s stopped", self.url)

    def __enter__(self) -> DemoGatewayServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def check_token(self, header: str | None) -> bool:
        if header is None or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[len("Bearer ") :].encode(), self._token)

    def queue_fault(self, fault: Fault) -> None:
        with self._faults_lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def take_fault(self) -> Fault | None:
        """Use up one request of the oldest queued fault and return it, or None."""
        with self._faults_lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.popleft()
            return fault

    def stall(self, seconds: float) -> None:
        """Wait ``seconds``, or less when the server stops."""
        self._stopping.wait(seconds)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _HttpServer
    server_version = "smsconfirm-demo-gateway"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # The base class writes every request to stderr; requests are logged in _dispatch.
        logger.debug("%s: " + format, self.address_string(), *args)

    @property
    def gateway(self) -> DemoGatewayServer:
        return self.server.gateway

    def _dispatch(self, method: str) -> None:
        started = time.monotonic()
        self._log_detail = ""
        self._status = 0
        path = urlsplit(self.path).path
        try:
            if not self._read_body():
                return
            if not self.gateway.check_token(self.headers.get("Authorization")):
                self._send_json(401, {"error": "unauthorized", "message": "missing or invalid bearer token"})
            else:
                self._route(method, path)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up, e.g. after its read timeout during a stall.
            self.close_connection = True
            self._log_detail += " (client disconnected)"
        except Exception:
            logger.exception("demo gateway failed on %s %s", method, path)
            self._send_json(500, {"error": "internal", "message": "internal error, see the server log"})
        finally:
            logger.info(
                "%s %s -> %s in %.0f ms%s",
                method,
                path,
                self._status or "no response",
                (time.monotonic() - started) * 1000,
                self._log_detail,
            )

    def _route(self, method: str, path: str) -> None:
        if path == "/v1/_stats" and method == "GET":
            self._handle_stats()
        elif path == "/v1/_faults" and method == "POST":
            self._handle_queue_fault()
        elif path == "/v1/_faults" and method == "DELETE":
            self.gateway.clear_faults()
            self._send_json(200, {"faults": 0})
        elif path == "/v1/messages" and method == "POST":
            self._handle_send()
        elif path.startswith("/v1/messages/") and method == "GET":
            self._handle_status(unquote(path[len("/v1/messages/") :]))
        elif path == "/v1/inbound" and method == "GET":
            self._handle_inbound()
        elif path == "/v1/_inbound" and method == "POST":
            self._handle_add_inbound()
        elif path in ("/v1/_stats", "/v1/_faults", "/v1/_inbound", "/v1/messages", "/v1/inbound") or path.startswith(
            "/v1/messages/"
        ):
            self._send_json(405, {"error": "method_not_allowed", "message": f"{method} is not allowed on {path}"})
        else:
            self._send_json(404, {"error": "not_found", "message": f"no endpoint {path}"})

    # --- API endpoints ---------------------------------------------------

    def _handle_send(self) -> None:
        body = self._read_json_body()
        if body is None:
            return
        fault = self.gateway.take_fault()
        if fault is not None and self._answer_fault_before_recording(fault):
            return

        reference = body.get("reference")
        to_number = body.get("to")
        text = body.get("text")
        sender = body.get("sender", "")
        if not isinstance(reference, str) or not reference:
            self._send_json(400, {"error": "invalid_request", "message": "reference must be a non-empty string"})
            return
        if not isinstance(to_number, str) or not is_e164(to_number):
            self._send_json(
                400,
                {"error": "invalid_number", "message": "to must be an E.164 number: + and 8 to 15 digits"},
            )
            return
        if not isinstance(text, str) or not text.strip():
            self._send_json(400, {"error": "empty_text", "message": "text must not be empty"})
            return
        if not isinstance(sender, str):
            self._send_json(400, {"error": "invalid_request", "message": "sender must be a string"})
            return
        self._log_detail = f" reference={reference} to={mask_phone(to_number)}"

        with self._connection() as connection:
            if demo_state.is_opted_out(connection, to_number):
                self._send_json(403, {"error": "unsubscribed", "message": "the recipient unsubscribed"})
                return
            provider_id = demo_state.record_acceptance(
                connection,
                reference=reference,
                to_number=to_number,
                text=text,
                sender=sender,
                reply_delay=self.gateway.reply_delay,
                seed=self.gateway.seed,
            )

        if fault is not None and self._answer_fault_after_recording(fault):
            return
        self._send_json(201, {"id": provider_id, "status": "accepted"})

    def _handle_status(self, reference: str) -> None:
        fault = self.gateway.take_fault()
        if fault is not None and self._answer_fault_before_recording(fault):
            return
        with self._connection() as connection:
            message = demo_state.find_message(connection, reference)
        if fault is not None and self._answer_fault_after_recording(fault):
            return
        if message is None:
            self._send_json(404, {"error": "not_found", "message": f"no message with reference {reference}"})
            return
        status = "delivered" if time.time() >= message.delivered_at else "accepted"
        self._send_json(
            200,
            {
                "reference": message.reference,
                "id": message.provider_id,
                "status": status,
                "accepted_count": message.accepted_count,
            },
        )

    def _handle_inbound(self) -> None:
        fault = self.gateway.take_fault()
        if fault is not None and self._answer_fault_before_recording(fault):
            return
        query = parse_qs(urlsplit(self.path).query)
        after_text = query.get("after", ["0"])[0] or "0"
        limit_text = query.get("limit", [str(DEFAULT_PAGE_SIZE)])[0]
        if not after_text.isdigit():
            self._send_json(400, {"error": "invalid_cursor", "message": "after must be a cursor from an earlier response"})
            return
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE_SIZE:
            self._send_json(400, {"error": "invalid_limit", "message": f"limit must be from 1 to {MAX_PAGE_SIZE}"})
            return

        with self._connection() as connection:
            replies = demo_state.visible_replies(connection, int(after_text), int(limit_text), time.time())
        if fault is not None and self._answer_fault_after_recording(fault):
            return
        cursor = str(replies[-1].seq) if replies else str(int(after_text))
        self._send_json(
            200,
            {
                "replies": [
                    {
                        "id": reply.provider_id,
                        "from": reply.from_number,
                        "text": reply.text,
                        "received_at": datetime.fromtimestamp(
                            reply.visible_at + self.gateway.clock_offset, timezone.utc
                        ).isoformat(),
                    }
                    for reply in replies
                ],
                "cursor": cursor,
            },
        )

    def _handle_add_inbound(self) -> None:
        body = self._read_json_body()
        if body is None:
            return
        from_number = body.get("from")
        text = body.get("text")
        if not isinstance(from_number, str) or not is_e164(from_number):
            self._send_json(400, {"error": "invalid_number", "message": "from must be an E.164 number: + and 8 to 15 digits"})
            return
        if not isinstance(text, str):
            self._send_json(400, {"error": "invalid_request", "message": "text must be a string"})
            return
        with self._connection() as connection:
            provider_id = demo_state.add_inbound(connection, from_number, text, time.time())
        self._log_detail = f" reply {provider_id} from={mask_phone(from_number)}"
        self._send_json(201, {"id": provider_id})

    def _handle_stats(self) -> None:
        with self._connection() as connection:
            counts = demo_state.acceptance_counts(connection)
        self._send_json(200, {"accepted": sum(counts.values()), "by_reference": counts})

    def _handle_queue_fault(self) -> None:
        body = self._read_json_body()
        if body is None:
            return
        try:
            fault = parse_fault(body)
        except FaultError as exc:
            self._send_json(400, {"error": "invalid_fault", "message": str(exc)})
            return
        self.gateway.queue_fault(fault)
        self._log_detail = f" queued {fault.mode} x{fault.remaining}"
        self._send_json(201, {"mode": fault.mode, "count": fault.remaining})

    # --- faults ----------------------------------------------------------

    def _answer_fault_before_recording(self, fault: Fault) -> bool:
        """Send the response of a fault that acts before any state changes, and return whether it did."""
        self._log_detail += f" fault={fault.mode}"
        if fault.mode == "status":
            self._send_json(fault.status, {"error": "injected", "message": f"injected HTTP {fault.status}"})
            return True
        if fault.mode == "retry_after":
            self._send_json(
                429,
                {"error": "rate_limited", "message": "too many requests"},
                extra_headers={"Retry-After": fault.retry_after},
            )
            return True
        if fault.mode == "reset":
            # Send nothing: the base class closes the socket once the handler returns.
            self.close_connection = True
            return True
        return False

    def _answer_fault_after_recording(self, fault: Fault) -> bool:
        """Apply a fault that acts after the request was recorded, and return whether it sent the response."""
        if fault.mode == "accept_then_stall":
            self.gateway.stall(fault.seconds)
            return False
        if fault.mode == "garbled":
            self._send_bytes(200, b"<html>upstream hiccup", "text/html")
            return True
        return False

    # --- plumbing --------------------------------------------------------

    def _connection(self) -> _ConnectionScope:
        return _ConnectionScope(self.gateway.db_path)

    def _read_body(self) -> bool:
        """Read the whole request body into ``_raw_body``, or send a 400 or 413 response.

        The body is read before any other response, because closing a socket
        with unread input makes the kernel send a reset that can discard the
        response.
        """
        self._raw_body = b""
        length_text = self.headers.get("Content-Length", "0")
        if not length_text.isdigit():
            self.close_connection = True
            self._send_json(400, {"error": "invalid_request", "message": "Content-Length must be a number"})
            return False
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            # NOTE: the body stays unread, so a client may see a reset instead of this 413.
            self.close_connection = True
            self._send_json(413, {"error": "too_large", "message": f"the body must be at most {MAX_BODY_BYTES} bytes"})
            return False
        self._raw_body = self.rfile.read(length)
        return True

    def _read_json_body(self) -> dict[str, Any] | None:
        """Parse the request body as a JSON object, or send a 400 response and return None."""
        try:
            body = json.loads(self._raw_body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        if not isinstance(body, dict):
            self._send_json(400, {"error": "invalid_request", "message": "the body must be a JSON object"})
            return None
        return body

    def _send_json(
        self, status: int, payload: dict[str, Any], extra_headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self._send_bytes(status, data, "application/json; charset=utf-8", extra_headers)

    def _send_bytes(
        self,
        status: int,
        data: bytes,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self._status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _ConnectionScope:
    """One SQLite connection for one request, closed at the end of the ``with`` block."""

    def __init__(self, db_path: Path) -> None:
        self._connection = demo_state.connect(db_path)

    def __enter__(self) -> sqlite3.Connection:
        return self._connection

    def __exit__(self, *exc_info: object) -> None:
        self._connection.close()


def build_arg_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add the demo gateway's options to ``parser``, or to a new parser."""
    if parser is None:
        parser = argparse.ArgumentParser(
            prog="python -m smsconfirm_tui.gateway.demo_server",
            description="Run the loopback demo SMS gateway until SIGTERM or Ctrl+C.",
        )
    parser.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite file for the gateway's state (created if missing)")
    parser.add_argument("--port", type=int, default=0, metavar="N", help="TCP port on 127.0.0.1 (default: 0, a free port)")
    parser.add_argument(
        "--token",
        default=None,
        metavar="T",
        help=f"bearer token that clients must send (default: ${TOKEN_ENV_VAR}, else {DEFAULT_TOKEN!r})",
    )
    parser.add_argument(
        "--reply-delay",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds after acceptance until a message counts as delivered and its reply arrives (default: 5)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for the scripted client replies (default: 1)")
    parser.add_argument(
        "--opted-out",
        action="append",
        default=[],
        metavar="NUMBER",
        help="E.164 number that counts as unsubscribed; repeat for more numbers",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def serve(args: argparse.Namespace) -> int:
    """Print the URL as the first line of stdout, then serve until SIGTERM or SIGINT."""
    # Request lines quote paths and fields that any local client sent.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(VisibleFormatter(LOG_FORMAT))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    token = args.token or os.environ.get(TOKEN_ENV_VAR) or DEFAULT_TOKEN
    try:
        server = DemoGatewayServer(
            args.db,
            token,
            port=args.port,
            reply_delay=args.reply_delay,
            seed=args.seed,
            opted_out=args.opted_out,
        )
    except (OSError, ValueError, sqlite3.Error) as exc:
        print(f"error: could not start the demo gateway: {exc}", file=sys.stderr)
        return 1

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server.start()
    print(server.url, flush=True)
    # A timed wait lets the main thread run the signal handlers.
    while not stop_requested.wait(0.5):
        pass
    server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_arg_parser().parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
