"""Run the app with uvicorn on a socket bound here (so ``--port 0`` can print its real port)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from ..curation import VerdictLog, latest_signals
from ..errors import InputError
from ..schemas import Candidate
from ..store import Workspace
from ._security import is_loopback

__all__ = ["Opened", "bind", "needs_token", "open_workspace", "run", "url_of"]


@dataclass(frozen=True)
class Opened:
    """A workspace checked for review: leftovers removed, candidates without signals."""

    cleaned: list[Path]
    without_signals: int


def open_workspace(workspace: Workspace, keep_per_seed: int) -> Opened:
    """Check a workspace before serving it: it has candidates, its verdict logs read (an
    unmigrated or damaged log is refused now, not at the first page), and the temp files a
    killed run left beside the human log are removed."""
    candidates = workspace.require(Candidate, made_by="dermforge generate")
    log = VerdictLog(workspace, keep_per_seed=keep_per_seed)
    cleaned = log.clean_leftovers()
    log.latest()
    measured = set(latest_signals(workspace))
    missing = sum(1 for c in candidates if c.candidate_id not in measured)
    return Opened(list(cleaned), missing)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror})",
                         fix="choose another --port (0 picks a free one) or --host") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, host: str, token: str | None) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 (a display name)
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def needs_token(host: str) -> bool:
    return not is_loopback(host)


def run(app: FastAPI, sock: socket.socket, *,
        on_ready: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on ``sock`` until interrupted."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready()
    server.run(sockets=[sock])
