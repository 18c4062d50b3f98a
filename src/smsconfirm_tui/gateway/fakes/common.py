"""The loopback HTTP server that every fake provider builds on, with fault injection.

A fake listens on 127.0.0.1 only and keeps its state in memory, so it lives
in the process that started it (a test or a benchmark) and survives the
sender processes that the tests kill.

Faults are queued with ``inject`` and used by the next send requests:

- ``status``: respond with an HTTP status (e.g. 503) before recording;
- ``retry_after``: respond with 429 with the given ``Retry-After`` header value;
- ``reset``: close the connection with a TCP reset, before recording;
- ``accept_then_stall``: record the message, then wait ``seconds`` before
  responding, so a client with a shorter timeout gives up;
- ``garbled``: record the message, then respond 200 with a broken body.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

LOOPBACK_HOST = "127.0.0.1"
MAX_BODY_BYTES = 64 * 1024
FAULT_MODES = ("status", "retry_after", "reset", "accept_then_stall", "garbled")
GARBLED_BODY = b"\x00{not json <nor xml"


@dataclass
class Fault:
    mode: str
    remaining: int
    status: int = 503
    retry_after: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    raw_body: bytes


@dataclass
class FakeReply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> FakeReply:
        return cls(status, json.dumps(payload).encode(), "application/json", headers or {})

    @classmethod
    def xml(cls, status: int, text: str) -> FakeReply:
        return cls(status, text.encode(), "application/xml")


@dataclass(frozen=True)
class AcceptedMessage:
    """One send request the fake accepted; a duplicate send adds a second entry."""

    provider_id: str
    to: str  # E.164
    text: str
    sender: str
    reference: str | None
    accepted_at: float  # time.time()


@dataclass(frozen=True)
class SendAttempt:
    to: str
    text: str
    sender: str
    reference: str | None


class FakeProvider:
    """Base class: a provider's wire format on loopback, with faults and a record of sends."""

    name = "fake"

    def __init__(self, *, latency: float = 0.0, port: int = 0) -> None:
        self.latency = latency
        self.accepted: list[AcceptedMessage] = []
        self.requests: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0  # maximum number of send requests handled at the same time
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._httpd = _Server((LOOPBACK_HOST, port), _Handler)
        self._httpd.fake = self

    # --- life cycle --------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK_HOST}:{self._httpd.server_address[1]}"

    def start(self) -> FakeProvider:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # --- faults and records ------------------------------------------------

    def inject(self, mode: str, count: int = 1, *, status: int = 503, retry_after: str = "",
               seconds: float = 0.0) -> None:
        """Queue a fault for the next ``count`` send requests."""
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}: use one of {', '.join(FAULT_MODES)}")
        if count < 1:
            raise ValueError(f"count must be 1 or more, not {count}")
        with self._lock:
            self._faults.append(Fault(mode, count, status, retry_after, seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def accepted_per_recipient_text(self) -> Counter[tuple[str, str]]:
        """Count accepted sends per (number, text): a value above 1 is a duplicate SMS."""
        with self._lock:
            return Counter((message.to, message.text) for message in self.accepted)

    def _take_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.popleft()
            return fault

    def _record(self, attempt: SendAttempt) -> AcceptedMessage:
        with self._lock:
            message = AcceptedMessage(self.new_provider_id(len(self.accepted) + 1), attempt.to, attempt.text,
                                      attempt.sender, attempt.reference, time.time())
            self.accepted.append(message)
            return message

    # --- hooks for each provider ---------------------------------------------

    def new_provider_id(self, sequence: int) -> str:
        return f"{self.name}-{sequence:06d}"

    def authorized(self, request: FakeRequest) -> bool:
        raise NotImplementedError

    def unauthorized_reply(self) -> FakeReply:
        return FakeReply.json(401, {"error": "unauthorized"})

    def is_send(self, request: FakeRequest) -> bool:
        raise NotImplementedError

    def parse_send(self, request: FakeRequest) -> SendAttempt | FakeReply:
        """Validate a send request; return what to record, or the error reply."""
        raise NotImplementedError

    def accepted_reply(self, message: AcceptedMessage) -> FakeReply:
        raise NotImplementedError

    def route(self, request: FakeRequest) -> FakeReply:
        """Respond to every request that is not a send."""
        return FakeReply.json(404, {"error": "not found"})

    # --- request handling ------------------------------------------------------

    def handle(self, request: FakeRequest, handler: _Handler) -> FakeReply | None:
        """Respond to one request, or return None after resetting the connection."""
        self.requests[request.path] += 1
        if not self.authorized(request):
            return self.unauthorized_reply()
        if not self.is_send(request):
            return self.route(request)
        parsed = self.parse_send(request)
        if isinstance(parsed, FakeReply):
            return parsed

        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._handle_send(parsed, handler)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle_send(self, parsed: SendAttempt, handler: _Handler) -> FakeReply | None:
        fault = self._take_fault()
        if fault is not None and fault.mode == "status":
            return FakeReply.json(fault.status, {"error": f"injected HTTP {fault.status}"})
        if fault is not None and fault.mode == "retry_after":
            return FakeReply.json(429, {"error": "too many requests"}, {"Retry-After": fault.retry_after})
        if fault is not None and fault.mode == "reset":
            handler.reset_connection()
            return None

        if self.latency:
            self._stopping.wait(self.latency)
        message = self._record(parsed)
        if fault is not None and fault.mode == "accept_then_stall":
            self._stopping.wait(fault.seconds)
        if fault is not None and fault.mode == "garbled":
            return FakeReply(200, GARBLED_BODY, "application/json")
        return self.accepted_reply(message)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Many senders connect at once in the benchmark.
    request_queue_size = 128
    fake: FakeProvider

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("fake gateway: request from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("fake gateway: " + format, *args)

    def reset_connection(self) -> None:
        """Close the socket with SO_LINGER 0, so the client sees a TCP reset."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._write(FakeReply.json(413, {"error": "body too large"}))
            return
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        content_type = self.headers.get("Content-Type", "")
        form: dict[str, str] = {}
        body: Any = None
        if "application/x-www-form-urlencoded" in content_type:
            form = {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        elif "json" in content_type and raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        request = FakeRequest(
            method=method,
            path=split.path,
            query={key: values[0] for key, values in parse_qs(split.query).items()},
            form=form,
            json=body,
            headers={key.lower(): value for key, value in self.headers.items()},
            raw_body=raw,
        )
        try:
            reply = self.server.fake.handle(request, self)
        except Exception:
            logger.exception("fake gateway failed on %s %s", method, split.path)
            reply = FakeReply.json(500, {"error": "internal"})
        if reply is not None:
            self._write(reply)

    def _write(self, reply: FakeReply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up, e.g. after its timeout during a stall.
            self.close_connection = True
