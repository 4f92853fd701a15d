"""Who may talk to the app, and the headers every answer carries.

- Bound to a loopback address (the default, 127.0.0.1) the app answers only requests whose
  Host is a loopback name (127.0.0.1, localhost, ::1): a web page elsewhere cannot reach it
  through DNS rebinding.
- Bound to any other address it requires the random token printed at start, on every request:
  ``?token=…`` once (the app then sets an HttpOnly, SameSite=Strict cookie and redirects to
  the same URL without it), the cookie, or the ``X-Dermforge-Token`` header. Requests without
  it get 401; a wrong token gets 403.
- When the workspace has reviewer profiles (``dermforge curate reviewers add``), a token is
  a reviewer's own: the same three ways carry it, its sha256 is compared with the profiles'
  (``hmac.compare_digest``), a revoked one gets 403, and the request's ``state.reviewer`` is
  the profile (verdicts are attributed to it). Off loopback only reviewers' tokens are
  accepted then (the printed server token gets 403); on loopback a token is optional (no
  token: ``state.reviewer`` is None).
- Writes must be JSON (``Content-Type: application/json``) and, when the browser sends an
  Origin, from the app's own origin: another site cannot post a verdict (no CORS is granted).
- Every answer carries a Content-Security-Policy that allows scripts, styles and images from
  the app itself only, so even a note that slipped past escaping could not run.
- A request body is read, before anything parses it, up to ``MAX_BODY_BYTES`` (64 KiB):
  one that declares more gets 413 at once, and one that streams more (without a
  Content-Length, or with one that lies) gets 413 as soon as the bytes read pass the bound;
  the server never holds more than the bound of any body.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..curation import Reviewer, ReviewerBook

__all__ = ["MAX_BODY_BYTES", "TOKEN_COOKIE", "TOKEN_HEADER", "BodyLimit", "Guard",
           "current_reviewer", "is_loopback", "new_token"]

#: the largest request body the app reads (a verdict is well under 4 KiB)
MAX_BODY_BYTES = 64 * 1024

TOKEN_COOKIE = "dermforge_token"  # noqa: S105 (a cookie name, not a secret)
TOKEN_HEADER = "x-dermforge-token"  # noqa: S105 (a header name)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}

Handler = Callable[[Request], Awaitable[Response]]


def is_loopback(host: str) -> bool:
    """True for localhost and loopback IP addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _host_name(request: Request) -> str:
    host = request.headers.get("host", "")
    return (urlsplit(f"//{host}").hostname or "").lower()


class Guard:
    """The app's one HTTP middleware: host check, token check, write check, headers."""

    def __init__(self, token: str | None,
                 reviewers: Callable[[], ReviewerBook] | None = None) -> None:
        self.token = token
        self.reviewers = reviewers

    async def __call__(self, request: Request, call_next: Handler) -> Response:
        request.state.reviewer = None
        book = self.reviewers() if self.reviewers is not None else None
        refusal = (self._reviewer_refusal(request, book) if book
                   else self._refusal(request))
        if refusal is not None:
            return self._secured(refusal)
        if request.query_params.get("token") and (self.token is not None or book):
            return self._secured(self._store_token(request))
        return self._secured(await call_next(request))

    def _reviewer_refusal(self, request: Request, book: ReviewerBook) -> Response | None:
        """The refusal when the workspace has reviewer profiles; else sets state.reviewer."""
        given = _given_token(request)
        if not given:
            if self.token is not None:
                return PlainTextResponse(
                    "token required: open the workbench with your own reviewer token "
                    "(?token=…, from `dermforge curate reviewers add`)", status_code=401)
            return self._refusal(request)
        profile = book.by_token(given)
        if profile is None:
            return PlainTextResponse("wrong token: this workspace has reviewer profiles, "
                                     "use your own reviewer token", status_code=403)
        if not profile.active:
            return PlainTextResponse("this reviewer token was revoked", status_code=403)
        if self.token is None and not is_loopback(_host_name(request)):
            return PlainTextResponse("this workbench answers only on 127.0.0.1/localhost",
                                     status_code=403)
        request.state.reviewer = profile
        if request.method not in ("GET", "HEAD"):
            return self._write_refusal(request)
        return None

    def _refusal(self, request: Request) -> Response | None:
        if self.token is None:
            if not is_loopback(_host_name(request)):
                return PlainTextResponse("this workbench answers only on 127.0.0.1/localhost",
                                         status_code=403)
        else:
            given = _given_token(request)
            if not given:
                return PlainTextResponse(
                    "token required: open the URL (with ?token=…) printed by "
                    "`dermforge curate serve`", status_code=401)
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return PlainTextResponse("wrong token", status_code=403)
        if request.method not in ("GET", "HEAD"):
            return self._write_refusal(request)
        return None

    def _write_refusal(self, request: Request) -> Response | None:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return PlainTextResponse("writes must be application/json", status_code=415)
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
            return PlainTextResponse("cross-origin write refused", status_code=403)
        return None

    def _store_token(self, request: Request) -> Response:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(query)}" if query else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(TOKEN_COOKIE, request.query_params.get("token") or "",
                            httponly=True, samesite="strict")
        return response

    @staticmethod
    def _secured(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def current_reviewer(request: Request) -> Reviewer | None:
    """The reviewer profile whose token the request carries (None: no profiles, or no token
    on loopback). Routes use it to attribute verdicts and to show "me"."""
    found = getattr(request.state, "reviewer", None)
    return found if isinstance(found, Reviewer) else None


def _given_token(request: Request) -> str | None:
    return (request.query_params.get("token") or request.headers.get(TOKEN_HEADER)
            or request.cookies.get(TOKEN_COOKIE))


class BodyLimit:
    """ASGI middleware: read each request's body, at most ``limit`` bytes, before the app
    sees it; answer 413 as soon as the declared or the streamed length passes the bound."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is None:
            await _refuse(scope, receive, send, 400, "Content-Length is not a number")
            return
        if declared > self.limit:
            await _refuse(scope, receive, send, 413, self._too_large())
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await _refuse(scope, receive, send, 413, self._too_large())
                return
            more = message.get("more_body", False)
        pending: list[Message] = [{"type": "http.request", "body": bytes(body),
                                   "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"request body larger than {self.limit} bytes"


def _content_length(scope: Scope) -> int | None:
    """The declared length (0 when none is declared); None when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return 0


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    response = PlainTextResponse(text, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)
