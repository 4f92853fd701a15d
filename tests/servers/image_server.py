"""A local image host for download tests: real bytes, scripted faults, request accounting.

Each path has a script of actions, one per request (request 1 gets the first action; the
last action repeats)::

    ok        200 with the image bytes (after ``delay`` seconds)
    404/500   that status, a short text body
    429       429 with ``Retry-After: <retry_after>``
    slow      sleep ``slow_seconds`` first, then answer like ``ok``
    corrupt   200 with the image bytes, one byte in the middle flipped
    html      200 with an HTML "page not found" page (a soft 404)

The server counts requests per path, keeps each request's start time and the most requests
it ever had in flight at once. It runs stdlib ``ThreadingHTTPServer`` on 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

__all__ = ["ImageServer", "free_port"]

ACTIONS = ("ok", "404", "500", "429", "slow", "corrupt", "html")


def free_port() -> int:
    """A port nothing listens on (bound, then released): connecting to it is refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ImageServer:
    def __init__(self, *, delay: float = 0.0, slow_seconds: float = 2.0,
                 retry_after: str = "1") -> None:
        self.delay = delay
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self._bodies: dict[str, bytes] = {}
        self._scripts: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: bytes, *script: str) -> str:
        """Serve ``body`` at ``path`` following ``script`` (default: always ok); return the URL."""
        self._bodies[path] = body
        self.script(path, *script)
        return self.url(path)

    def script(self, path: str, *script: str) -> None:
        unknown = [a for a in script if a not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown actions {unknown}; known: {ACTIONS}")
        with self._lock:
            self._scripts[path] = script or ("ok",)

    def total_requests(self) -> int:
        return sum(self.requests.values())

    def start(self) -> ImageServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ImageServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- called by the handler threads -------------------------------------------------
    def _begin(self, path: str) -> tuple[str | None, bytes]:
        with self._lock:
            self.requests[path] += 1
            self.times[path].append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            script = self._scripts.get(path)
            if script is None:
                return None, b""
            n = self.requests[path]
            return script[min(n, len(script)) - 1], self._bodies[path]

    def _end(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: ImageServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout) breaks the pipe: expected, stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        owner = self.server.owner
        action, body = owner._begin(self.path)
        try:
            self._answer(owner, action, body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            owner._end()

    def _answer(self, owner: ImageServer, action: str | None, body: bytes) -> None:
        if action is None or action == "404":
            self._send(404, b"not found", "text/plain")
        elif action == "500":
            self._send(500, b"internal server error", "text/plain")
        elif action == "429":
            self._send(429, b"slow down", "text/plain", {"Retry-After": owner.retry_after})
        elif action == "html":
            self._send(200, b"<html><body>Page not found</body></html>", "text/html")
        elif action == "corrupt":
            middle = len(body) // 2
            self._send(200, body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:],
                       "image/jpeg")
        else:
            time.sleep(owner.slow_seconds if action == "slow" else owner.delay)
            self._send(200, body, "image/jpeg")

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
