"""A loopback HTTP proxy that adds a round-trip latency to every AWS call and counts calls by operation.

moto answers in about 2 ms where AWS takes tens of milliseconds; putting this proxy between a client and
the moto server (``AWS_ENDPOINT_URL`` = the proxy) makes concurrency matter as it does against AWS. The
count is per HTTP request, so retries count too, as AWS would bill and throttle them.

Bounded: it listens on 127.0.0.1 only, forwards to one upstream on loopback, keeps at most
``max_in_flight`` requests in flight, closes idle connections, and stops itself after ``max_seconds``.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
_SET_BY_PROXY = {"content-length", "server", "date"}  # send_response writes Server and Date itself
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def operation_of(method: str, path: str, headers, body: bytes) -> str:
    """``service:Operation`` of a request: X-Amz-Target (JSON protocols) or Action= (query protocols)."""
    scope = _SCOPE.search(headers.get("Authorization", ""))
    service = scope.group(1) if scope else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    query = parse_qs(urlsplit(path).query)
    if "Action" in query:
        return f"{service}:{query['Action'][0]}"
    if body and "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return f"{service}:{action[0]}"
    return f"{service}:{method} {urlsplit(path).path}"


class LatencyProxy:
    def __init__(
        self,
        upstream: str,
        latency_ms: float = 0.0,
        max_in_flight: int = 64,
        max_seconds: float = 1800.0,
        port: int = 0,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(f"the proxy forwards to loopback only, not {upstream}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.latency_ms = latency_ms
        self.max_seconds = max_seconds
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._local = threading.local()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._deadline: threading.Timer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def start(self) -> LatencyProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, name="latency-proxy", daemon=True)
        self._thread.start()
        self._deadline = threading.Timer(self.max_seconds, self.stop)
        self._deadline.daemon = True
        self._deadline.start()
        return self

    def stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, operation: str) -> None:
        with self._lock:
            self._counts[operation] += 1

    def _upstream(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
            self._local.connection = connection
        return connection

    def _forward(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, list, bytes]:
        for attempt in (1, 2):
            connection = self._upstream()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
            # Headers and body go out in separate writes: with Nagle on, the body waits for the client's
            # delayed ACK (40 ms on Linux), which would swamp the latency being simulated.
            disable_nagle_algorithm = True
            timeout = 30  # an idle keep-alive connection frees its thread after this

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy._record(operation_of(self.command, self.path, self.headers, body))
                with proxy._slots:
                    if proxy.latency_ms > 0:
                        time.sleep(proxy.latency_ms / 1000)
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    try:
                        status, response_headers, payload = proxy._forward(self.command, self.path, headers, body)
                    except OSError as error:
                        status, response_headers, payload = 502, [], f"upstream failed: {error}".encode()
                self.send_response(status)
                for key, value in response_headers:
                    if key.lower() not in _HOP_BY_HOP and key.lower() not in _SET_BY_PROXY:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        return Handler
