"""The streaming part of a build: candidates, seeds and experiments into bounded shards.

Rows go out in a fixed order — condition (class order), FST group, seed, then generation
order — each image's bytes checked against its sha256 as it is read. Candidates are rendered
in chunks, in worker processes when there are several (``_render``), and written here in
that same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from pathlib import Path

from datasets import Features

from ..cards import ReleaseFacts
from ..schemas import SplitMembership
from . import _render
from ._db import BuildDB
from ._features import CONFIGS, condition_names, config_features, to_arrow
from ._index import TEXT_TO_IMAGE_KEY, WorkspaceIndex, scan
from ._params import BuildParams
from ._render import BYTES_PER_PIXEL, Rendered, Renderer, candidate_lineage, chunks, render_pool
from ._shards import ShardInfo, ShardWriter

__all__ = ["Progress", "Written", "write_rows"]

Progress = Callable[[int, int], None]

_ORDER = """
SELECT c.cid, c.px
FROM cands c JOIN seedinfo s USING (seed) JOIN condrank r USING (condition)
ORDER BY r.rank, s.grp, c.seed, c.created_us, c.request, c.idx, c.cid
"""
#: the seeds rows: one per (seed, crop, mask) that a seeded candidate's request used (a
#: request without one fails its candidates' rows, which are written first)
_SEED_KEYS = """
INSERT OR IGNORE INTO seedkeys
SELECT c.seed || char(31) || r.img || char(31) || r.mask, c.seed, r.img, r.mask
FROM cands c JOIN reqs r ON r.rid = c.request WHERE NOT c.seedless
"""


@dataclass
class Written:
    shards: dict[str, list[ShardInfo]]
    facts: ReleaseFacts
    features: dict[str, Features]


def write_rows(root: Path, index: WorkspaceIndex, *, version: str,
               params: BuildParams,
               progress: Progress | None, workers: int = 1) -> Written:
    db = index.db
    conditions = condition_names(index.conditions)
    db.insert("INSERT INTO condrank VALUES (?, ?)", _condition_ranks(conditions))
    _check_seeds_known(index)
    features = {name: config_features(name, conditions) for name in CONFIGS}
    writers = {name: ShardWriter(root, name, features[name], params) for name in CONFIGS}
    facts = ReleaseFacts(conditions)
    facts.requests = db.one("SELECT COUNT(DISTINCT request) FROM cands")
    candidates = db.one("SELECT COUNT(*) FROM cands")
    count = _Count(progress, candidates + db.one(  # text-to-image: no seeds row
        "SELECT COUNT(DISTINCT seed) FROM cands WHERE seed NOT LIKE ?",
        (TEXT_TO_IMAGE_KEY + "%",)))
    renderer = Renderer(index, features["candidates"], features["seeds"], conditions, version)
    if candidates < _render.PARALLEL_FROM:
        workers = 1
    db.conn.execute(_SEED_KEYS)  # before the workers' snapshot of the database
    try:
        with render_pool(renderer, workers) as render:
            ordered = ((cid, pixels * BYTES_PER_PIXEL) for cid, pixels in db.rows(_ORDER))
            _write_candidates(db, render("candidates", chunks(ordered)),
                              writers, facts, count)
            count.total = count.done + db.one("SELECT COUNT(*) FROM seedkeys")
            blobs = index.workspace.blobs
            keyed = ((k, (blobs.size(crop) or 0) + (blobs.size(mask) or 0))
                     for k, crop, mask in db.rows("SELECT k, crop, mask FROM seedkeys "
                                                  "ORDER BY k"))
            for part in render("seeds", chunks(keyed)):
                for i, (key, _, size) in enumerate(part.rows):
                    writers["seeds"].add_slice(part.candidates, i, size, key=key)
                    count.step()
                _merge(facts, part)
        for _, m in scan(index.workspace.manifest(SplitMembership)):  # in file order
            writers["experiments"].add(to_arrow(m, features["experiments"]),
                                       key=f"{m.experiment}/{m.source_id}")
            facts.add_split(m)
        shards = {name: w.close() for name, w in writers.items()}
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    return Written(shards, facts, features)


@dataclass
class _Count:
    progress: Progress | None
    total: int
    done: int = 0

    def step(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def _write_candidates(db: BuildDB, parts: Iterable[Rendered], writers: dict[str, ShardWriter],
                      facts: ReleaseFacts, count: _Count) -> None:
    """Write the rendered chunks in order; record each candidate's verdict (table cur)."""
    current = db.sink("INSERT INTO cur VALUES (?, ?)")
    for part in parts:
        accepted = 0
        for i, (cid, verdict, size) in enumerate(part.rows):
            writers["candidates"].add_slice(part.candidates, i, size, key=cid)
            if verdict == "accept":
                writers["synthetic"].add_slice(part.synthetic, accepted, size, key=cid)
                accepted += 1
            current.add((cid, verdict))
            count.step()
        _merge(facts, part)
    current.flush()


def _merge(facts: ReleaseFacts, part: Rendered) -> None:
    if part.facts is not None:
        merge_facts(facts, part.facts)


def merge_facts(into: ReleaseFacts, part: ReleaseFacts) -> None:
    """Add a chunk's counts to ``into`` as if its rows had been added there, in order:
    Counter fields summed and dict fields updated (keeping first-seen order, the later
    chunk's value winning), the number of text-to-image images added."""
    for f in fields(into):
        mine, theirs = getattr(into, f.name), getattr(part, f.name)
        if isinstance(mine, dict):  # a Counter's update adds, a dict's replaces
            mine.update(theirs)
    into.text_to_image += part.text_to_image


def _condition_ranks(conditions: list[str]) -> list[tuple[str, int]]:
    return [(name, rank) for rank, name in enumerate(conditions)]


def _check_seeds_known(index: WorkspaceIndex) -> None:
    """A candidate whose seed is not recorded fails here, naming it (before any row)."""
    orphan = index.db.one("SELECT c.cid FROM cands c LEFT JOIN seedinfo s USING (seed) "
                          "WHERE s.seed IS NULL ORDER BY c.cid LIMIT 1")
    if orphan is not None:
        candidate_lineage(index, orphan)  # raises MissingInputError naming it and the fix
