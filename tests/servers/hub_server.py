"""A small Hugging Face Hub on 127.0.0.1 that speaks the real wire protocol.

It implements the surface listed in /work/shared/docs/hub-protocol.md with real state
(repos → branches and tags → commit sha → {path: bytes}), so `huggingface_hub` can create a
repo, upload a folder, tag it and list refs/files, and `datasets.load_dataset` can load the
result, all unpatched, with ``HF_ENDPOINT`` pointing here.

- Preupload answers ``regular`` for every file (no Xet, no LFS), unless ``lfs_suffixes`` names
  suffixes to answer ``lfs``: those then go through the Git LFS batch/PUT/verify trio, which
  the client only uses with ``HF_HUB_DISABLE_XET=1``.
- Writes need ``Authorization: Bearer <token>`` (the configured one when ``token`` is given);
  public repos are readable without a token.
- Every request is recorded (method, raw path, headers, body) in ``server.requests``.
- ``server.fail(method, pattern, status, ...)`` injects an error for matching requests.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from servers.hub_api import HubApi, Response
from servers.hub_state import Commit, Fault, HubError, Recorded, Repo, Stored, git_blob_sha1

__all__ = ["Commit", "HubServer", "Recorded", "Repo", "Stored", "git_blob_sha1"]


class HubServer:
    """Start with ``with HubServer() as hub:``; ``hub.url`` is the HF_ENDPOINT to use."""

    def __init__(self, *, token: str | None = None, lfs_suffixes: tuple[str, ...] = ()) -> None:
        self.token = token
        self.lfs_suffixes = lfs_suffixes
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._counter = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # ---- helpers for tests -------------------------------------------------------------
    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        return self.repos[(repo_type, repo_id)]

    def fail(self, method: str, pattern: str, status: int, message: str = "injected fault",
             *, error_code: str | None = None, times: int = 1, body: Any = None) -> None:
        """Answer the next ``times`` requests whose path matches ``pattern`` with ``status``
        (and the JSON ``body`` when given, else ``{"error": message}``)."""
        with self.lock:
            self.faults.append(Fault(method, pattern, status, message, error_code, times, body))

    def paths_hit(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    # ---- state transitions -------------------------------------------------------------
    def new_commit(self, repo: Repo, parent: str | None, message: str,
                   files: dict[str, Stored]) -> Commit:
        with self.lock:
            self._counter += 1
            seed = json.dumps([parent, message, self._counter,
                               sorted((p, f.etag) for p, f in files.items())])
            oid = hashlib.sha1(seed.encode()).hexdigest()
            commit = Commit(oid, parent, message, dict(files))
            repo.commits[oid] = commit
            return commit

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and re.search(fault.pattern, path):
                    fault.times -= 1
                    return fault
        return None


def _handler_for(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_HEAD(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _serve(self) -> None:
            body = self._body()
            headers = {k.lower(): v for k, v in self.headers.items()}
            with hub.lock:
                hub.requests.append(Recorded(self.command, self.path, headers, body))
            try:
                fault = hub.take_fault(self.command, self.path)
                if fault is not None:
                    raise HubError(fault.status, fault.message, fault.error_code, fault.body)
                response = HubApi(hub, self.command, self.path, headers, body).dispatch()
            except HubError as exc:
                payload = exc.body if exc.body is not None else {"error": exc.message}
                response = Response(exc.status, payload,
                                    {"X-Error-Message": exc.message,
                                     **({"X-Error-Code": exc.code} if exc.code else {})})
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if "Content-Length" not in response.headers:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

    return Handler
