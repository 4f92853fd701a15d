"""The seed queue of the index page: one row per seed, server-side filters, sort and pages,
and progress that tells people's review apart from the demo policy's automatic verdicts.

Records in, plain data out. The rows are rebuilt only when a manifest they read changed
(:meth:`Records.version`), so a page of 50 rows out of 10,000 seeds costs the filter and the
sort, not a re-read.

Assignments plug in through :class:`Viewer`: ``assigned`` is the set of candidate ids assigned
to the person looking (None: no assignments, everyone sees every seed), ``decided`` the ones
that person has already decided. "Next undecided for me" is then the next seed with an
assigned candidate the viewer has not decided; without assignments, the next seed with an
undecided candidate (by the verdict that counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from ..curation import is_automatic
from ..schemas import Candidate, CurationVerdict
from ._records import Records

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
class IndexRow:
    """One seed of the queue. ``human``/``auto``: candidates whose counting verdict (accept or
    reject) is a person's / the demo policy's; ``flags``: flag → candidates that raise it."""

    seed_id: str
    condition: str | None
    group: str | None
    crop_sha256: str | None
    candidates: int
    accepted: int
    rejected: int
    undecided: int
    human: int
    auto: int
    policies: tuple[str, ...]
    flags: Mapping[str, int]
    candidate_ids: frozenset[str]
    open_ids: frozenset[str]

    @property
    def status(self) -> str:
        if self.undecided == self.candidates:
            return "undecided"
        return "done" if self.undecided == 0 else "partly"

    @property
    def reviewed(self) -> bool:
        """Every candidate decided by a person (the policy's verdicts are no review)."""
        return self.human == self.candidates

    @property
    def flagged(self) -> int:
        return max(self.flags.values(), default=0)


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


def _crops(records: Records, candidates: Iterable[Candidate]) -> dict[str, str]:
    """seed id → the crop of its newest request (the one the seed page shows)."""
    requests = records.requests()
    newest: dict[str, Candidate] = {}
    for c in candidates:
        seen = newest.get(c.seed_or_request)
        if seen is None or (c.created, c.request_id, c.index) > (
                seen.created, seen.request_id, seen.index):
            newest[c.seed_or_request] = c
    out = {}
    for seed_id, candidate in newest.items():
        request = requests.get(candidate.request_id)
        if request is not None and request.image_sha256 is not None:  # None: text-to-image
            out[seed_id] = request.image_sha256
    return out


@dataclass
class _Tally:
    """What one pass over the candidates collects for one seed."""

    ids: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    human: int = 0
    policies: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)

    def add(self, candidate_id: str, verdict: CurationVerdict | None,
            flags: Iterable[str]) -> None:
        self.ids.append(candidate_id)
        if verdict is None or verdict.decision == "undecided":
            self.open.append(candidate_id)
        else:
            if verdict.decision == "accept":
                self.accepted += 1
            else:
                self.rejected += 1
            if is_automatic(verdict.reviewer):
                self.policies[verdict.reviewer] = self.policies.get(verdict.reviewer, 0) + 1
            else:
                self.human += 1
        for flag in flags:
            self.flags[flag] = self.flags.get(flag, 0) + 1


def _build_rows(records: Records) -> list[IndexRow]:
    candidates = records.candidates()
    latest, signals, seeds = records.latest(), records.signals(), records.seeds()
    crops = _crops(records, candidates)
    tallies: dict[str, _Tally] = {}
    for c in candidates:
        tally = tallies.get(c.seed_or_request)  # text-to-image: one "seed" per request
        if tally is None:
            tally = tallies[c.seed_or_request] = _Tally()
        record = signals.get(c.candidate_id)
        tally.add(c.candidate_id, latest.get(c.candidate_id), record.flags if record else ())
    rows = []
    for seed_id, t in tallies.items():
        seed = seeds.get(seed_id)
        rows.append(IndexRow(
            seed_id=seed_id, condition=seed.condition if seed else None,
            group=seed.group if seed else None, crop_sha256=crops.get(seed_id),
            candidates=len(t.ids), accepted=t.accepted, rejected=t.rejected,
            undecided=len(t.open), human=t.human, auto=sum(t.policies.values()),
            policies=tuple(sorted(t.policies)), flags=t.flags,
            candidate_ids=frozenset(t.ids), open_ids=frozenset(t.open)))
    return sorted(rows, key=lambda r: (r.condition or "", r.group or "", r.seed_id))


@dataclass(frozen=True)
class Queue:
    """Every seed with candidates in review order (condition, group, seed id), with the
    progress over them and the conditions and groups present (for the filters)."""

    rows: list[IndexRow]
    progress: dict[str, object]
    conditions: list[str]
    groups: list[str]


def _build_queue(records: Records) -> Queue:
    rows = _build_rows(records)
    return Queue(rows, people_progress(rows, records.verdicts()),
                 sorted({r.condition for r in rows if r.condition}),
                 sorted({r.group for r in rows if r.group}))


def queue(records: Records) -> Queue:
    """The queue, cached until one of the manifests it reads changes."""
    return records.memo("queue", lambda: _build_queue(records))


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
