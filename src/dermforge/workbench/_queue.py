"""The seed queue of the index page: one row per seed, server-side filters, sort and pages,
and progress that tells people's review apart from the demo policy's automatic verdicts.

Records in, plain data out. The rows live in the incremental review state
(:func:`~dermforge.workbench._state.review_state`: a verdict rebuilds its seed's row only), so
a page of 50 rows out of 10,000 seeds costs the filter and the sort, not a re-read.

Assignments plug in through :class:`Viewer`: ``assigned`` is the set of candidate ids assigned
to the person looking (None: no assignments, everyone sees every seed), ``decided`` the ones
that person has already decided. "Next undecided for me" is then the next seed with an
assigned candidate the viewer has not decided; without assignments, the next seed with an
undecided candidate (by the verdict that counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from ..schemas import CurationVerdict
from ._records import Records
from ._rows import IndexRow, Queue
from ._state import review_state

__all__ = [
    "SORTS",
    "STATUSES",
    "IndexQuery",
    "IndexRow",
    "Queue",
    "QueuePage",
    "Sort",
    "Status",
    "Viewer",
    "index_page",
    "index_rows",
    "next_open",
    "people_progress",
    "queue",
]

Status = Literal["all", "undecided", "partly", "done", "unreviewed"]
Sort = Literal["review", "seed", "condition", "undecided", "accepted"]
STATUSES: tuple[str, ...] = get_args(Status)
SORTS: tuple[str, ...] = get_args(Sort)



@dataclass(frozen=True)
class Viewer:
    """Who looks at the queue: their assigned candidates (None: no assignments), the
    candidates they have decided already, and whether others' decisions are hidden from them
    (``blinded``: a reviewer profile that is not an adjudicator; the index then shows no
    accepted counts and does not sort by them)."""

    assigned: frozenset[str] | None = None
    decided: frozenset[str] = frozenset()
    blinded: bool = False


@dataclass(frozen=True)
class IndexQuery:
    """What the index shows: filters (None/"all": no filter), sort, page (1-based)."""

    condition: str | None = None
    group: str | None = None
    status: Status = "all"
    flag: str | None = None  # a flag of FLAG_WORDS, "any" or None
    mine: bool = False
    sort: Sort = "review"
    page: int = 1
    size: int = 50


@dataclass(frozen=True)
class QueuePage:
    rows: list[IndexRow]
    matching: int
    page: int
    pages: int


def _sort_key(sort: str) -> object:
    keys = {
        "seed": lambda r: r.seed_id,
        "condition": lambda r: (r.condition or "", r.group or "", r.seed_id),
        "undecided": lambda r: (-r.undecided, r.seed_id),
        "accepted": lambda r: (-r.accepted, r.seed_id),
    }
    return keys.get(sort)


def _matches(row: IndexRow, query: IndexQuery, viewer: Viewer) -> bool:
    if query.condition and row.condition != query.condition:
        return False
    if query.group and row.group != query.group:
        return False
    if query.status == "unreviewed":
        if row.reviewed:
            return False
    elif query.status != "all" and row.status != query.status:
        return False
    if query.flag == "any" and not row.flags:
        return False
    if query.flag not in (None, "any") and query.flag not in row.flags:
        return False
    return not (query.mine and viewer.assigned is not None
                and not row.candidate_ids & viewer.assigned)


def _unfiltered(query: IndexQuery, viewer: Viewer) -> bool:
    return (not (query.condition or query.group or query.flag) and query.status == "all"
            and not (query.mine and viewer.assigned is not None))


def index_page(rows: Sequence[IndexRow], query: IndexQuery, viewer: Viewer = Viewer()
               ) -> QueuePage:
    """The rows of one page after filters and sort (rows come in review order); the plain
    queue in review order is a slice, whatever its length."""
    key = None if viewer.blinded and query.sort == "accepted" else _sort_key(query.sort)
    if key is None and _unfiltered(query, viewer):
        chosen: Sequence[IndexRow] = rows
    else:
        chosen = [r for r in rows if _matches(r, query, viewer)]
        if key is not None:
            chosen.sort(key=key)  # type: ignore[arg-type]
    pages = max(1, -(-len(chosen) // query.size))
    number = min(max(query.page, 1), pages)
    start = (number - 1) * query.size
    return QueuePage(list(chosen[start:start + query.size]), len(chosen), number, pages)


def next_open(rows: Sequence[IndexRow], after: str | None, viewer: Viewer = Viewer(),
              query: IndexQuery | None = None) -> str | None:
    """The first seed after ``after`` (in review order, wrapping round) that still needs the
    viewer and matches ``query``'s filters; None when none does."""
    def needs(row: IndexRow) -> bool:
        if query is not None and not _matches(row, query, viewer):
            return False
        if viewer.assigned is None:
            return bool(row.open_ids)
        return bool((row.candidate_ids & viewer.assigned) - viewer.decided)

    ids = [r.seed_id for r in rows]
    start = ids.index(after) + 1 if after in ids else 0
    for row in [*rows[start:], *rows[:start]]:
        if row.seed_id != after and needs(row):
            return row.seed_id
    return None


def queue(records: Records) -> Queue:
    """The queue, kept up to date incrementally (:func:`review_state`)."""
    return review_state(records).queue()


def index_rows(records: Records) -> list[IndexRow]:
    """Every seed with candidates, in review order (condition, group, seed id)."""
    return queue(records).rows


def people_progress(rows: Sequence[IndexRow],
                    verdicts: Iterable[CurationVerdict]) -> dict[str, object]:
    """Progress that counts only people's review, the policy's verdicts beside it, and
    per reviewer the candidates they decided (accept or reject, by their latest verdict)."""
    last: dict[tuple[str, str], str] = {}
    for verdict in verdicts:
        last[(verdict.reviewer, verdict.candidate_id)] = verdict.decision
    per_reviewer: dict[str, int] = {}
    for (reviewer, _), decision in last.items():
        if decision != "undecided":
            per_reviewer[reviewer] = per_reviewer.get(reviewer, 0) + 1
    return {
        "seeds_total": len(rows),
        "seeds_reviewed": sum(1 for r in rows if r.reviewed),
        "seeds_by_policy": sum(1 for r in rows if r.auto and r.undecided == 0),
        "seeds_open": sum(1 for r in rows if r.undecided),
        "candidates_total": sum(r.candidates for r in rows),
        "candidates_by_people": sum(r.human for r in rows),
        "candidates_by_policy": sum(r.auto for r in rows),
        "accepted": sum(r.accepted for r in rows),
        "policies": sorted({p for r in rows for p in r.policies}),
        "reviewers": dict(sorted(per_reviewer.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
