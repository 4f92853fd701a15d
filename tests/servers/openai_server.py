"""A local OpenAI-compatible images server for tests and benchmarks (real HTTP on 127.0.0.1).

``POST /v1/images/edits`` parses the multipart form the official SDK sends (image, mask,
prompt, model, n, size, quality, output_format), checks the bearer key, and answers like
the API: ``{"created", "data": [{"b64_json"}...], "usage", "size", "quality",
"output_format"}`` with real PNGs of the requested size (the input image, resized, with
the mask's transparent region repainted differently for each index).

Injectable faults (see :class:`Faults`): latency, 429 with Retry-After, 500, dropped
connections (chosen by arrival number), ``moderation_blocked`` 400 for chosen prompts.
Billing mimics the real service: a request is billed when its images are made — after the
latency, before the response is written — so a client killed mid-request is still billed.
``billed`` counts billed requests per fingerprint (sha256 of the request's form).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from PIL import Image
from python_multipart.multipart import parse_form

__all__ = ["TOKENS_PER_IMAGE", "Faults", "OpenAIImagesServer"]

TOKENS_PER_IMAGE = 1756  # output tokens per image reported in usage
RETIRED = {"dall-e-2", "dall-e-3", "gpt-image-1"}


@dataclass
class Faults:
    """What goes wrong, by arrival number (1 = the first request the server sees)."""

    latency_s: float = 0.0
    status_429_on: set[int] = field(default_factory=set)
    status_500_on: set[int] = field(default_factory=set)
    drop_on: set[int] = field(default_factory=set)
    retry_after_s: float = 0.2
    moderation_substrings: set[str] = field(default_factory=set)


@dataclass
class _Form:
    fields: dict[str, str]
    files: dict[str, bytes]


def _parse_multipart(headers: Any, body: bytes) -> _Form:
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}

    def on_field(f: Any) -> None:
        fields[f.field_name.decode()] = (f.value or b"").decode()

    def on_file(f: Any) -> None:
        f.file_object.seek(0)
        files[f.field_name.decode()] = f.file_object.read()

    parse_form({"Content-Type": headers["Content-Type"].encode(),
                "Content-Length": str(len(body)).encode()}, io.BytesIO(body), on_field, on_file)
    return _Form(fields, files)


def _fingerprint(form: _Form) -> str:
    digest = hashlib.sha256()
    for key in sorted(form.fields):
        digest.update(f"{key}={form.fields[key]}\n".encode())
    for key in sorted(form.files):
        digest.update(f"{key}:".encode() + hashlib.sha256(form.files[key]).digest())
    return digest.hexdigest()


def _render(image: bytes, mask: bytes | None, size: tuple[int, int], seed: bytes) -> bytes:
    """A real PNG: the input resized, its editable region repainted with seeded noise."""
    with Image.open(io.BytesIO(image)) as source:
        rgb = np.asarray(source.convert("RGB").resize(size, Image.Resampling.BILINEAR)).copy()
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed).digest()[:8], "big"))
    tint = rng.integers(0, 256, size=3, dtype=np.uint8)
    if mask is not None:
        with Image.open(io.BytesIO(mask)) as m:
            alpha = np.asarray(m.getchannel("A").resize(size, Image.Resampling.NEAREST))
        region = alpha == 0
    else:
        region = np.ones(rgb.shape[:2], dtype=bool)
    rgb[region] = (rgb[region] // 2 + tint // 2).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class OpenAIImagesServer:
    """Start with ``with OpenAIImagesServer(...) as server:``; ``server.base_url`` ends in /v1."""

    def __init__(self, *, api_key: str | None = "sk-test-server-key",
                 faults: Faults | None = None, tokens_per_image: int = TOKENS_PER_IMAGE,
                 port: int = 0) -> None:
        self.api_key = api_key
        self.faults = faults or Faults()
        self.tokens_per_image = tokens_per_image
        self.lock = threading.Lock()
        self.arrivals = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.billed: Counter[str] = Counter()
        self.billed_images = 0
        self.statuses: Counter[int] = Counter()
        self.dropped = 0
        self.forms: list[dict[str, str]] = []
        self.auth_headers: set[str] = set()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}/v1"

    @property
    def billed_requests(self) -> int:
        return sum(self.billed.values())

    def start(self) -> OpenAIImagesServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OpenAIImagesServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.arrivals += 1
                    number = server.arrivals
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    server._serve(self, number, body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

        return Handler

    def _send(self, handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        with self.lock:
            self.statuses[status] += 1
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client went away (killed); it was billed all the same
            handler.close_connection = True

    def _error(self, handler: BaseHTTPRequestHandler, status: int, message: str, code: str | None,
               kind: str = "invalid_request_error", headers: dict[str, str] | None = None) -> None:
        self._send(handler, status, {"error": {"message": message, "type": kind, "param": None,
                                               "code": code}}, headers)

    def _serve(self, handler: BaseHTTPRequestHandler, number: int, body: bytes) -> None:
        faults = self.faults
        given = handler.headers.get("Authorization", "")
        with self.lock:
            self.auth_headers.add(given)
        if handler.path.split("?")[0] != "/v1/images/edits":
            return self._error(handler, 404, f"no route {handler.path}", "not_found")
        if self.api_key is not None and given != f"Bearer {self.api_key}":
            key = given.removeprefix("Bearer ")  # echoed in full: the worst a server could do
            return self._error(handler, 401, f"Incorrect API key provided: {key}.",
                               "invalid_api_key")
        if number in faults.drop_on:
            with self.lock:
                self.dropped += 1
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return None
        if number in faults.status_429_on:
            return self._error(handler, 429, "Rate limit reached for images per minute.",
                               "rate_limit_exceeded", "requests", {
                                   "retry-after-ms": str(int(faults.retry_after_s * 1000)),
                                   "retry-after": str(max(1, round(faults.retry_after_s)))})
        if number in faults.status_500_on:
            return self._error(handler, 500, "The server had an error processing your request.",
                               None, "server_error")
        return self._edit(handler, _parse_multipart(handler.headers, body))

    def _edit(self, handler: BaseHTTPRequestHandler, form: _Form) -> None:
        f = form.fields
        with self.lock:
            self.forms.append(dict(f))
        problem = self._invalid(form)
        if problem is not None:
            return self._error(handler, 400, problem, "invalid_value")
        if any(s in f["prompt"] for s in self.faults.moderation_substrings):
            return self._error(handler, 400, "Your request was rejected by the safety system.",
                               "moderation_blocked", "image_generation_user_error")
        n = int(f.get("n", "1"))
        width, height = (int(v) for v in f.get("size", "1024x1024").split("x"))
        time.sleep(self.faults.latency_s)
        fingerprint = _fingerprint(form)
        images = [_render(form.files["image"], form.files.get("mask"), (width, height),
                          f"{fingerprint}:{i}".encode()) for i in range(n)]
        with self.lock:  # billed when made, whether or not the client is still there
            self.billed[fingerprint] += 1
            self.billed_images += n
        text_tokens = max(1, len(f["prompt"].split()))
        usage = {"input_tokens": text_tokens + 323, "output_tokens": n * self.tokens_per_image,
                 "total_tokens": text_tokens + 323 + n * self.tokens_per_image,
                 "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 323},
                 "output_tokens_details": {"image_tokens": n * self.tokens_per_image,
                                           "text_tokens": 0}}
        self._send(handler, 200, {
            "created": int(time.time()), "size": f.get("size"), "quality": f.get("quality"),
            "output_format": "png", "usage": usage,
            "data": [{"b64_json": base64.b64encode(png).decode()} for png in images]})
        return None

    @staticmethod
    def _invalid(form: _Form) -> str | None:
        f = form.fields
        for name in ("prompt", "model"):
            if not f.get(name):
                return f"missing required parameter {name!r}"
        if "image" not in form.files:
            return "missing required parameter 'image'"
        if f["model"] in RETIRED:
            return f"The model {f['model']!r} has been retired."
        if not 1 <= int(f.get("n", "1")) <= 10:
            return f"n must be between 1 and 10, got {f.get('n')}"
        if f.get("output_format", "png") != "png":
            return "this test server only returns png"
        mask = form.files.get("mask")
        if mask is not None:
            image = io.BytesIO(form.files["image"])
            with Image.open(io.BytesIO(mask)) as m, Image.open(image) as i:
                if m.mode != "RGBA":
                    return f"the mask must be RGBA, got {m.mode}"
                if m.size != i.size:
                    return f"mask size {m.size} differs from image size {i.size}"
        return None


def main() -> None:
    """Serve until interrupted, for trying the ``openai`` backend without an account:
    ``python tests/servers/openai_server.py [--port 8099]`` prints the base URL and key."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8099, help="TCP port on 127.0.0.1")
    args = parser.parse_args()
    server = OpenAIImagesServer(port=args.port).start()
    print(f"OPENAI_BASE_URL={server.base_url} OPENAI_API_KEY={server.api_key}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
