"""The blinded reader study (``curate serve --study``): real crops and accepted synthetic images
in each reader's own order; the reader guesses real or synthetic (records out: StudyAnswer).

Blinding: in study mode the curation pages and ``/blob/`` do not exist, the page never sees an
image's hash, id, seed or verdict, and every image is re-encoded the same way (RGB PNG of
``study_size`` pixels, no metadata) so file format and size tell nothing. The reader gets
no feedback on their answers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from ..curation import StudyItem, reader_order, study_pool
from ..schemas import StudyAnswer
from ._records import Records

if TYPE_CHECKING:
    from ._app import WorkbenchConfig

__all__ = ["add_study_routes"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ITEM = re.compile(r"[0-9a-f]{16}")


def _reader(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or _CONTROL.search(name):
        raise ValueError("the reader name must be 1-64 printable characters")
    return name


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reader: str = Field(min_length=1, max_length=64)
    item_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    guess: Literal["real", "synthetic"]

    @field_validator("reader")
    @classmethod
    def _printable(cls, name: str) -> str:
        return _reader(name)


def add_study_routes(app: FastAPI, config: WorkbenchConfig, records: Records,
                     page: Callable[..., HTMLResponse]) -> None:
    workspace = config.workspace

    def order(reader: str) -> list[StudyItem]:
        pool = study_pool(records.candidates(), records.latest(), records.requests())
        return reader_order(pool, reader)

    def answered(reader: str) -> set[str]:
        return {a.image_sha256 for a in records.read(StudyAnswer) if a.reader == reader}

    def checked_reader(reader: str) -> str:
        try:
            return _reader(reader)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    @lru_cache(maxsize=256)
    def blinded_png(sha256: str) -> bytes:
        with Image.open(io.BytesIO(workspace.blobs.read(sha256))) as image:
            side = config.study_size
            square = image.convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        square.save(buffer, format="PNG", compress_level=6)
        return buffer.getvalue()

    def next_item(reader: str) -> dict[str, Any]:
        items, done = order(reader), answered(reader)
        remaining = [(i, item) for i, item in enumerate(items) if item.image_sha256 not in done]
        answered_count = len(items) - len(remaining)
        if not remaining:
            return {"done": True, "total": len(items), "answered": answered_count}
        position, item = remaining[0]
        return {"done": False, "total": len(items), "answered": answered_count,
                "position": position + 1, "item_id": item.item_id}

    @app.get("/")
    def study_page() -> HTMLResponse:
        return page("study.html")

    @app.get("/api/study/next")
    def study_next(reader: str) -> JSONResponse:
        return JSONResponse(next_item(checked_reader(reader)),
                            headers={"Cache-Control": "no-store"})

    @app.get("/study/image/{item_id}")
    def study_image(item_id: str, reader: str) -> Response:
        if not _ITEM.fullmatch(item_id):
            raise HTTPException(404)
        found = [i for i in order(checked_reader(reader)) if i.item_id == item_id]
        if not found:
            raise HTTPException(404)
        return Response(blinded_png(found[0].image_sha256), media_type="image/png",
                        headers={"Cache-Control": "no-store"})

    @app.post("/api/study/answer")
    def study_answer(body: AnswerIn) -> JSONResponse:
        items = order(body.reader)
        found = [(i, item) for i, item in enumerate(items) if item.item_id == body.item_id]
        if not found:
            raise HTTPException(404, "unknown item for this reader")
        position, item = found[0]
        workspace.manifest(StudyAnswer).append([StudyAnswer(
            reader=body.reader, item_id=item.item_id, image_sha256=item.image_sha256,
            truth=item.truth, guess=body.guess, seed_id=item.seed_id,
            candidate_id=item.candidate_id, position=position,
            answered_at=datetime.now(UTC))])
        return JSONResponse(next_item(body.reader))
