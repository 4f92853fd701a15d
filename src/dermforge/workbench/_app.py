"""The curation workbench: a FastAPI app over one workspace (records in: everything the
curation pages show; out: CurationVerdict, appended through the VerdictLog).

Pages: ``/`` (first seed with undecided candidates), ``/seeds`` (all seeds and progress),
``/seed/{id}``. JSON: ``GET /api/seed/{id}``, ``POST /api/verdict``. Images: ``/blob/{sha256}``
— 64 lowercase hex characters naming a blob that a workspace record references (crop, mask or
candidate); anything else is 404 before the store is asked. No request path reaches the file
system: the static files are read once at start, and blobs are addressed by hash only.

A posted verdict passes the curation's one human-verdict validator (the same rules as the
CSV import). Request bodies are bounded (``_security.BodyLimit``, 413), and a refused
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
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from ..curation import (
    DEFAULT_KEEP_PER_SEED,
    MAX_NOTE,
    MAX_REVIEWER,
    REASON_CODES,
    VerdictLog,
    check_note,
    check_qualification,
    check_reason_codes,
    check_reviewer,
)
from ..errors import DermforgeError, InputError
from ..schemas import QUALIFICATIONS, CurationVerdict, Qualification
from ..store import Workspace
from ._records import Records
from ._security import MAX_BODY_BYTES, BodyLimit, Guard
from ._views import overview, seed_view

__all__ = ["WorkbenchConfig", "create_app", "image_type"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SEED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


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
    reviewer: str = Field(min_length=1, max_length=MAX_REVIEWER)
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
    def _person(cls, name: str) -> str:
        return check_reviewer(name)

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
    return jinja2.Environment(loader=loader, autoescape=True,
                              undefined=jinja2.StrictUndefined)


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
    app.middleware("http")(Guard(config.token))  # added last: runs first
    env, static, records = _templates(), _static(), Records(config.workspace)

    def page(name: str, **context: Any) -> HTMLResponse:
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
    return app


Page = Callable[..., HTMLResponse]


def _add_curation_routes(app: FastAPI, config: WorkbenchConfig, records: Records,
                         page: Page) -> None:
    keep = config.keep_per_seed

    @app.get("/")
    def start() -> Response:
        view = overview(records)
        todo = [s.seed_id for s in view.seeds if s.undecided > 0]
        if todo:
            return RedirectResponse(f"/seed/{todo[0]}", status_code=303)
        return RedirectResponse("/seeds", status_code=303)

    @app.get("/seeds")
    def seeds() -> HTMLResponse:
        view = overview(records)
        return page("index.html", seeds=view.seeds, progress=view.progress(),
                    keep_per_seed=keep)

    def view_or_404(seed_id: str) -> dict[str, Any]:
        view = seed_view(records, seed_id, keep) if _SEED_ID.fullmatch(seed_id) else None
        if view is None:
            raise HTTPException(404, "no such seed with candidates")
        return view

    @app.get("/seed/{seed_id}")
    def seed_page(seed_id: str) -> HTMLResponse:
        return page("seed.html", view=view_or_404(seed_id), reasons=REASON_CODES)

    @app.get("/api/seed/{seed_id}")
    def seed_state(seed_id: str) -> JSONResponse:
        return JSONResponse(view_or_404(seed_id), headers={"Cache-Control": "no-store"})

    @app.post("/api/verdict")
    def post_verdict(body: VerdictIn) -> JSONResponse:
        return _decide(config, records, body)

    @app.get("/blob/{sha256}")
    def blob(sha256: str) -> Response:
        if not _SHA256.fullmatch(sha256) or sha256 not in records.referenced_blobs():
            raise HTTPException(404)
        data = config.workspace.blobs.read(sha256)
        return Response(data, media_type=image_type(data),
                        headers={"Cache-Control": "private, max-age=86400, immutable"})


def _decide(config: WorkbenchConfig, records: Records, body: VerdictIn) -> JSONResponse:
    log = VerdictLog(config.workspace, keep_per_seed=config.keep_per_seed)
    candidate = log.candidates().get(body.candidate_id)
    if candidate is None:
        raise HTTPException(404, "unknown candidate id")
    verdict = CurationVerdict(
        candidate_id=body.candidate_id, decision=body.decision,
        reason_codes=tuple(body.reason_codes), photorealism=body.photorealism,
        consistency=body.consistency, reviewer=body.reviewer,
        reviewer_qualification=check_qualification(body.reviewer_qualification),
        decided_at=datetime.now(UTC), note=body.note)
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
    state = seed_view(records, candidate.seed_or_request, config.keep_per_seed)
    return JSONResponse({"ok": True, "conflict": conflict, "state": state})
