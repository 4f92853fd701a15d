"""The queue pages: ``/`` (the next seed that needs the viewer), ``/seeds`` (the index: filters,
sort and pages on the server), ``/next`` (the next undecided seed after one, under the same
filters) and ``/thumb/{sha256}`` (a small JPEG of a referenced image blob, kept in a bounded
in-memory LRU: content-addressed, so it never goes stale).

``viewer_of`` maps a request to the :class:`Viewer` whose queue is shown: the signed-in
reviewer's assignments and decisions, blinded unless an adjudicator (``_app.viewer_of``);
without a profile, everyone's queue is every seed.
"""

from __future__ import annotations

import io
import re
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from PIL import Image, UnidentifiedImageError
from starlette.responses import Response

from ._queue import (
    SORTS,
    STATUSES,
    IndexQuery,
    Sort,
    Status,
    Viewer,
    index_page,
    index_rows,
    next_open,
    queue,
)
from ._records import Records
from ._words import FLAG_WORDS

__all__ = ["THUMB_CACHE", "THUMB_SIDE", "ThumbCache", "add_index_routes"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
THUMB_SIDE = 128
THUMB_CACHE = 2048  # thumbnails kept (about 5 KB each)
PAGE_SIZES = (25, 50, 100, 200)

Page = Callable[..., HTMLResponse]
ViewerOf = Callable[[Request], Viewer]
Text = Annotated[str | None, Query(max_length=128)]
FlagQ = Annotated[str | None, Query(pattern="^(|any|" + "|".join(FLAG_WORDS) + ")$")]
SizeQ = Annotated[int, Query(ge=1, le=max(PAGE_SIZES))]
PageQ = Annotated[int, Query(alias="page", ge=1, le=1_000_000)]


class ThumbCache:
    """At most ``bound`` thumbnails, least recently used out first; thread-safe."""

    def __init__(self, read: Callable[[str], bytes], bound: int = THUMB_CACHE,
                 side: int = THUMB_SIDE) -> None:
        self.read, self.bound, self.side = read, bound, side
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, sha256: str) -> bytes | None:
        """The JPEG thumbnail of blob ``sha256``; None when it is not an image."""
        with self._lock:
            if sha256 in self._kept:
                self._kept.move_to_end(sha256)
                return self._kept[sha256]
        data = self._make(self.read(sha256))
        if data is None:
            return None
        with self._lock:
            self._kept[sha256] = data
            while len(self._kept) > self.bound:
                self._kept.popitem(last=False)
        return data

    def _make(self, data: bytes) -> bytes | None:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (self.side, self.side))
                image.thumbnail((self.side, self.side), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                image.convert("RGB").save(out, format="JPEG", quality=85)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            return None
        return out.getvalue()


def _query(condition: str | None, group: str | None, status: Status, flag: str | None,
           mine: bool, sort: Sort, page: int, size: int) -> IndexQuery:
    return IndexQuery(condition=condition or None, group=group or None, status=status,
                      flag=flag or None, mine=mine, sort=sort, page=page, size=size)


def _link(query: IndexQuery, **change: Any) -> str:
    """The /seeds URL of ``query`` with ``change`` applied (defaults left out)."""
    values = {"condition": query.condition, "group": query.group, "status": query.status,
              "flag": query.flag, "mine": "1" if query.mine else None, "sort": query.sort,
              "page": query.page, "size": query.size, **change}
    defaults = {"status": "all", "sort": "review", "page": 1, "size": 50}
    kept = {k: v for k, v in values.items() if v not in (None, "", defaults.get(k))}
    return "/seeds" + (f"?{urlencode(kept)}" if kept else "")


def _next_link(query: IndexQuery) -> str:
    """The /next URL under ``query``'s filters (its sort and page do not matter there)."""
    values = {"condition": query.condition, "group": query.group,
              "status": None if query.status == "all" else query.status, "flag": query.flag,
              "mine": "1" if query.mine else None}
    kept = {k: v for k, v in values.items() if v}
    return "/next" + (f"?{urlencode(kept)}" if kept else "")


def add_index_routes(app: FastAPI, records: Records, page: Page, keep_per_seed: int,
                     viewer_of: ViewerOf = lambda _request: Viewer()) -> None:
    """Add ``/``, ``/seeds``, ``/next`` and ``/thumb/{sha256}`` to ``app``."""
    thumbs = ThumbCache(records.workspace.blobs.read)

    @app.get("/")
    def start(request: Request) -> Response:
        found = next_open(index_rows(records), None, viewer_of(request))
        return RedirectResponse(f"/seed/{found}" if found else "/seeds", status_code=303)

    @app.get("/seeds")
    def seeds(request: Request, condition: Text = None, group: Text = None,
              status: Status = "all", flag: FlagQ = None, mine: bool = False,
              sort: Sort = "review", page_number: PageQ = 1,
              size: SizeQ = 50, nothing_left: bool = False) -> HTMLResponse:
        viewer = viewer_of(request)
        query = _query(condition, group, status, flag, mine, sort, page_number, size)
        state = queue(records)
        shown = index_page(state.rows, query, viewer)
        query = _query(condition, group, status, flag, mine, sort, shown.page, size)
        return page("index.html", queue=shown, query=query, link=_link,
                    next_href=_next_link(query), conditions=state.conditions,
                    groups=state.groups, progress=state.progress,
                    keep_per_seed=keep_per_seed, statuses=STATUSES,
                    sorts=SORTS, page_sizes=PAGE_SIZES, has_assignments=viewer.assigned
                    is not None, nothing_left=nothing_left, blinded=viewer.blinded)

    @app.get("/next")
    def next_seed(request: Request, after: Text = None, condition: Text = None,
                  group: Text = None, status: Status = "all", flag: FlagQ = None,
                  mine: bool = False) -> Response:
        query = _query(condition, group, status, flag, mine, "review", 1, 50)
        found = next_open(index_rows(records), after, viewer_of(request), query)
        if found is None:
            return RedirectResponse(_link(query, nothing_left="1"), status_code=303)
        return RedirectResponse(f"/seed/{found}", status_code=303)

    @app.get("/thumb/{sha256}")
    def thumb(sha256: str) -> Response:
        if not _SHA256.fullmatch(sha256) or sha256 not in records.referenced_blobs():
            raise HTTPException(404)
        data = thumbs.get(sha256)
        if data is None:
            raise HTTPException(404)
        return Response(data, media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=86400, immutable"})
