"""The curation workbench: a FastAPI app over one workspace (records in: everything the
curation pages show; out: CurationVerdict, appended through the VerdictLog).

Pages: ``/`` (first seed with undecided candidates), ``/seeds`` (the queue: filters, sort,
pages, thumbnails, progress), ``/next`` (both in ``_index_routes``), ``/seed/{id}``. JSON:
``GET /api/seed/{id}``, ``POST /api/verdict``. Images: ``/blob/{sha256}`` — 64 lowercase hex
characters naming a blob that a workspace record references (crop, mask or candidate);
anything else is 404 before the store is asked; ``/thumb/{sha256}`` the same, as a small
JPEG. No request path reaches the file system: the static files are read once at start,
and blobs are addressed by hash only.

A posted verdict passes the curation's one human-verdict validator (the same rules as the
CSV import). When the workspace has reviewer profiles and the request carries a reviewer's
token (``_security.Guard`` puts the profile in ``request.state.reviewer``), the verdict's
reviewer and qualification are the profile's: a typed ``reviewer``/``reviewer_qualification``
in the body is IGNORED (the reply's ``reviewer`` says who was recorded); a reviewer may post
only on candidates assigned to them (when ``records/assignments.jsonl`` exists), and only an
adjudicator profile may post ``role: adjudicator``. Without a token (loopback), a typed name
that is a profile's name is refused (403): that person signs in with their token.

Request bodies are bounded (``_security.BodyLimit``, 413), and a refused
request is answered with the field and the reason only: no reply quotes the body back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from ..curation import (
    DEFAULT_KEEP_PER_SEED,
    MAX_NOTE,
    MAX_REVIEWER,
    REASON_CODES,
    Reviewer,
    VerdictLog,
    check_note,
    check_qualification,
    check_reason_codes,
    check_reviewer,
)
from ..errors import DermforgeError, InputError
from ..schemas import QUALIFICATIONS, CurationRule, CurationVerdict, Qualification, ReviewerRole
from ..store import Workspace
from ._index_routes import add_index_routes
from ._queue import Viewer
from ._records import Records
from ._security import MAX_BODY_BYTES, BodyLimit, Guard, current_reviewer
from ._state import review_state
from ._views import seed_view
from ._words import FLAG_HELP, FLAG_WORDS

__all__ = ["WorkbenchConfig", "create_app", "image_type"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SEED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass(frozen=True)
class WorkbenchConfig:
    """How the app runs. ``token`` None: loopback only; else every request needs it."""

    workspace: Workspace
    keep_per_seed: int = DEFAULT_KEEP_PER_SEED
    reviewer: str | None = None
    token: str | None = None
    study: bool = False
    poll_seconds: float = 10.0
    study_size: int = 512
    max_body_bytes: int = MAX_BODY_BYTES
    rule: CurationRule = "single"


def image_type(data: bytes) -> str:
    """MIME type from the first bytes (PNG, JPEG, WebP); octet-stream otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


class VerdictIn(BaseModel):
    """A decision posted by the page; the fields pass the curation's human-verdict validator."""

    model_config = ConfigDict(extra="forbid")

    candidate_id: str = Field(min_length=1, max_length=100)
    decision: Literal["accept", "reject", "undecided"]
    reason_codes: list[str] = Field(default_factory=list, max_length=len(REASON_CODES))
    photorealism: int | None = Field(default=None, ge=1, le=5)
    consistency: int | None = Field(default=None, ge=1, le=5)
    note: str = Field(default="", max_length=MAX_NOTE)
    reviewer: str | None = Field(
        default=None, min_length=1, max_length=MAX_REVIEWER,
        description="typed pseudonym; ignored when the request carries a reviewer's token")
    role: ReviewerRole = "reviewer"
    reviewer_qualification: str | None = Field(
        default=None, max_length=32,
        description="one of " + ", ".join(QUALIFICATIONS) + "; null or '' = not stated")
    seen: int = Field(default=0, ge=0, description="verdicts of the candidate the page knew")

    @field_validator("reason_codes")
    @classmethod
    def _known_codes(cls, codes: list[str]) -> list[str]:
        return list(check_reason_codes(codes))

    @field_validator("reviewer")
    @classmethod
    def _person(cls, name: str | None) -> str | None:
        return None if name is None else check_reviewer(name)

    @field_validator("note")
    @classmethod
    def _note(cls, note: str) -> str:
        return check_note(note)

    @field_validator("reviewer_qualification")
    @classmethod
    def _qualification(cls, value: str | None) -> Qualification | None:
        return check_qualification(value)


#: names a 422 reply may show as the refused field (anything else may be the client's text)
_FIELDS = frozenset({*VerdictIn.model_fields, "reader", "item_id", "guess", "body", "query"})


def _refused(exc: RequestValidationError) -> JSONResponse:
    """422 naming each refused field and why, never quoting what was sent."""
    problems = []
    for error in exc.errors()[:10]:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        if error.get("type") == "json_invalid":
            loc = []  # its location is a character offset, not a field
        name = ".".join(p if p in _FIELDS or p.isdigit() else "(unknown field)" for p in loc)
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append({"field": name or "(body)", "reason": reason})
    text = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
    return JSONResponse({"ok": False, "error": f"refused: {text}", "problems": problems},
                        status_code=422)


def _templates() -> jinja2.Environment:
    folder = resources.files("dermforge.workbench") / "templates"
    loader = jinja2.DictLoader({entry.name: entry.read_text(encoding="utf-8")
                                for entry in folder.iterdir() if entry.name.endswith(".html")})
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals.update(flag_words=FLAG_WORDS, flag_help=FLAG_HELP)
    return env


def _static() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("dermforge.workbench") / "static"
    kinds = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    return {entry.name: (entry.read_bytes(), kinds[entry.name[entry.name.rfind("."):]])
            for entry in folder.iterdir() if entry.name[entry.name.rfind("."):] in kinds}


def create_app(config: WorkbenchConfig) -> FastAPI:
    """The workbench (or, with ``config.study``, the blinded reader study) as an ASGI app."""
    app = FastAPI(title="dermforge workbench", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    env, static = _templates(), _static()
    records = Records(config.workspace, config.rule)
    # reviewers' own tokens apply to the curation workbench, not to the reader study
    guard = Guard(config.token, None if config.study else records.reviewers)
    app.middleware("http")(guard)  # added last: runs first

    def page(name: str, **context: Any) -> HTMLResponse:
        context.setdefault("me", None)
        html = env.get_template(name).render(config=config, qualifications=QUALIFICATIONS,
                                             **context)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.exception_handler(DermforgeError)
    async def _dermforge_error(_request: Request, exc: DermforgeError) -> Response:
        return PlainTextResponse(str(exc), status_code=500)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        return _refused(exc)

    @app.get("/static/{name}")
    def static_file(name: str) -> Response:
        if name not in static:
            raise HTTPException(404)
        body, kind = static[name]
        return Response(body, media_type=kind, headers={"Cache-Control": "no-cache"})

    if config.study:
        from ._study_app import add_study_routes

        add_study_routes(app, config, records, page)
        return app
    _add_curation_routes(app, config, records, page)
    from ._team_routes import add_team_routes

    add_team_routes(app, config, records, page)
    return app


Page = Callable[..., HTMLResponse]


def viewer_of(records: Records, request: Request) -> Viewer:
    """The queue of the signed-in reviewer: their assigned candidates (when the workspace has
    assignments), the ones they decided, blinded unless an adjudicator; without a token,
    every seed."""
    me = current_reviewer(request)
    if me is None:
        return Viewer()
    state = review_state(records)
    decided = state.decided(me.name)
    return Viewer(assigned=state.assigned_to(me.name) if state.assigned else None,
                  decided=decided, blinded=not me.adjudicator)


def _add_curation_routes(app: FastAPI, config: WorkbenchConfig, records: Records,
                         page: Page) -> None:
    keep = config.keep_per_seed
    # one log for the app's life: it keeps what an append checks and reads only new lines
    log = VerdictLog(config.workspace, keep_per_seed=keep, rule=config.rule)
    add_index_routes(app, records, page, keep,  # /, /seeds, /next, /thumb/{sha256}
                     viewer_of=lambda request: viewer_of(records, request))

    def view_or_404(seed_id: str, request: Request) -> dict[str, Any]:
        viewer = current_reviewer(request)
        view = (seed_view(records, seed_id, keep, viewer=viewer)
                if _SEED_ID.fullmatch(seed_id) else None)
        if view is None:
            raise HTTPException(404, "no such seed with candidates")
        return view

    @app.get("/seed/{seed_id}")
    def seed_page(seed_id: str, request: Request) -> HTMLResponse:
        return page("seed.html", view=view_or_404(seed_id, request), reasons=REASON_CODES,
                    me=current_reviewer(request))

    @app.get("/api/seed/{seed_id}")
    def seed_state(seed_id: str, request: Request) -> JSONResponse:
        return JSONResponse(view_or_404(seed_id, request),
                            headers={"Cache-Control": "no-store"})

    @app.post("/api/verdict")
    def post_verdict(body: VerdictIn, request: Request) -> JSONResponse:
        return _decide(config, records, log, body, current_reviewer(request))

    @app.get("/blob/{sha256}")
    def blob(sha256: str) -> Response:
        if not _SHA256.fullmatch(sha256) or sha256 not in records.referenced_blobs():
            raise HTTPException(404)
        data = config.workspace.blobs.read(sha256)
        return Response(data, media_type=image_type(data),
                        headers={"Cache-Control": "private, max-age=86400, immutable"})


def _author(records: Records, body: VerdictIn, me: Reviewer | None
            ) -> tuple[str, Qualification | None]:
    """Who a posted verdict is recorded for; HTTPException 403/422 when not allowed."""
    if me is None:
        if body.role == "adjudicator":
            raise HTTPException(403, "only an adjudicator (signed in with their reviewer "
                                "token) may adjudicate")
        if body.reviewer is None:
            raise HTTPException(422, "reviewer: give your pseudonym")
        if records.reviewers().get(body.reviewer) is not None:
            raise HTTPException(403, "that reviewer has a profile: open the workbench with "
                                "their own token (?token=…)")
        return body.reviewer, check_qualification(body.reviewer_qualification)
    if body.role == "adjudicator" and not me.adjudicator:
        raise HTTPException(403, "your profile is not an adjudicator's")
    assigned = review_state(records).assigned
    if body.role == "reviewer" and assigned and me.name not in assigned.get(
            body.candidate_id, ()):
        raise HTTPException(403, "this candidate is not in your queue (assignments)")
    return me.name, me.qualification


def _decide(config: WorkbenchConfig, records: Records, log: VerdictLog, body: VerdictIn,
            me: Reviewer | None = None) -> JSONResponse:
    candidate = log.candidates().get(body.candidate_id)
    if candidate is None:
        raise HTTPException(404, "unknown candidate id")
    name, qualification = _author(records, body, me)
    verdict = CurationVerdict(
        candidate_id=body.candidate_id, decision=body.decision,
        reason_codes=tuple(body.reason_codes), photorealism=body.photorealism,
        consistency=body.consistency, reviewer=name, role=body.role,
        reviewer_qualification=qualification, decided_at=datetime.now(UTC), note=body.note)
    try:
        log.append(verdict)
    except InputError as exc:
        return JSONResponse({"ok": False, "error": exc.message, "fix": exc.fix},
                            status_code=409)
    history = log.history(body.candidate_id)
    mine = max(i for i, v in enumerate(history) if v == verdict)
    conflict = [{"decision": v.decision, "reviewer": v.reviewer,
                 "decided_at": v.decided_at.isoformat()}
                for v in history[min(body.seen, mine):mine]]
    state = seed_view(records, candidate.seed_or_request, config.keep_per_seed, viewer=me)
    return JSONResponse({"ok": True, "reviewer": name, "role": body.role,
                         "conflict": conflict, "state": state})
