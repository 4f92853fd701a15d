"""The streaming part of a build: candidates, seeds and experiments into bounded shards.

Rows go out in a fixed order — condition (class order), FST group, seed, then generation
order — one image at a time, each image's bytes checked against its sha256 as it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from datasets import Features

from ..cards import ReleaseFacts
from ..errors import IntegrityError, MissingInputError, ReleaseError
from ..schemas import SplitMembership
from ..store import Workspace
from ._diff import PreviousRelease
from ._features import CONFIGS, condition_names, config_features, to_arrow
from ._index import TEXT_TO_IMAGE_KEY, WorkspaceIndex, key_text, scan
from ._params import BuildParams
from ._rows import Lineage, lineage, release_row, seed_row
from ._shards import ShardInfo, ShardWriter

__all__ = ["Progress", "Written", "write_rows"]

Progress = Callable[[int, int], None]

_ORDER = """
SELECT c.cid FROM cands c JOIN seedinfo s USING (seed) JOIN condrank r USING (condition)
ORDER BY r.rank, s.grp, c.seed, c.created_us, c.request, c.idx, c.cid
"""


@dataclass
class Written:
    shards: dict[str, list[ShardInfo]]
    facts: ReleaseFacts
    features: dict[str, Features]


def write_rows(root: Path, index: WorkspaceIndex, *, version: str,
               prev: PreviousRelease | None, params: BuildParams,
               progress: Progress | None) -> Written:
    db = index.db
    conditions = condition_names(index.conditions)
    db.insert("INSERT INTO condrank VALUES (?, ?)", _condition_ranks(conditions))
    _check_seeds_known(index)
    features = {name: config_features(name, conditions) for name in CONFIGS}
    writers = {name: ShardWriter(root, name, features[name], params) for name in CONFIGS}
    facts = ReleaseFacts(conditions)
    facts.requests = db.one("SELECT COUNT(DISTINCT request) FROM cands")
    total = db.one("SELECT COUNT(*) FROM cands") + db.one(
        "SELECT COUNT(DISTINCT seed) FROM cands WHERE seed NOT LIKE ?", (TEXT_TO_IMAGE_KEY + "%",))
    done = 0
    current = db.sink("INSERT INTO cur VALUES (?, ?)")
    seed_keys = db.sink("INSERT OR IGNORE INTO seedkeys VALUES (?, ?)")
    try:
        for (cid,) in db.rows(_ORDER):
            line = _lineage(index, cid)
            if line.seed_key is not None:  # text-to-image: no seed photograph, no seeds row
                seed_keys.add((key_text(line.seed_key), cid))
            verdict = _write_candidate(index, line, writers, features, facts, version, prev)
            current.add((cid, verdict))
            done += 1
            if progress:
                progress(done, total)
        current.flush()
        seed_keys.flush()
        total = done + db.one("SELECT COUNT(*) FROM seedkeys")
        for _, cid in db.rows("SELECT k, cid FROM seedkeys ORDER BY k"):
            seed_line = _lineage(index, cid)
            assert seed_line.seed_key is not None  # only seeded lineages have seed keys
            added = (prev.seed_added_in(seed_line.seed_key) if prev else None) or version
            _add_seed(index, seed_line, writers["seeds"], facts, added)
            done += 1
            if progress:
                progress(done, total)
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


def _condition_ranks(conditions: list[str]) -> list[tuple[str, int]]:
    return [(name, rank) for rank, name in enumerate(conditions)]


def _check_seeds_known(index: WorkspaceIndex) -> None:
    """A candidate whose seed is not recorded fails here, naming it (before any row)."""
    orphan = index.db.one("SELECT c.cid FROM cands c LEFT JOIN seedinfo s USING (seed) "
                          "WHERE s.seed IS NULL ORDER BY c.cid LIMIT 1")
    if orphan is not None:
        _lineage(index, orphan)  # raises MissingInputError naming the candidate and the fix


def _lineage(index: WorkspaceIndex, cid: str) -> Lineage:
    candidate = index.candidates.get(cid)
    assert candidate is not None  # every id of table cands comes from candidates.jsonl
    return lineage(index, candidate)


def _write_candidate(index: WorkspaceIndex, line: Lineage, writers: dict[str, ShardWriter],
                     features: dict[str, Features], facts: ReleaseFacts, version: str,
                     prev: PreviousRelease | None) -> str | None:
    c = line.candidate
    added = (prev.added_in(c.candidate_id) if prev else None) or version
    row = release_row(index, line, added)
    data = _blob(index.workspace, c.sha256, f"candidate {c.candidate_id}",
                 f"re-run generation for request {c.request_id}")
    image = {"image": {"bytes": data, "path": f"{c.candidate_id}.{_ext(data)}"}}
    writers["candidates"].add(to_arrow(row, features["candidates"], image), len(data),
                              key=c.candidate_id)
    if row.verdict == "accept":
        added = (prev.synthetic_added_in(c.candidate_id) if prev else None) or version
        row = row.model_copy(update={"release_added": added})
        writers["synthetic"].add(to_arrow(row, features["synthetic"], image), len(data),
                                 key=c.candidate_id)
    facts.add_row(row)
    return row.verdict


def _add_seed(index: WorkspaceIndex, line: Lineage, writer: ShardWriter, facts: ReleaseFacts,
              added: str) -> None:
    row = seed_row(line, added)
    fix = f"re-run `dermforge prepare` for seed {row.seed_id}"
    crop = _blob(index.workspace, row.crop_sha256, f"the crop of seed {row.seed_id}", fix)
    mask = _blob(index.workspace, row.mask_sha256, f"the mask of seed {row.seed_id}", fix)
    writer.add(to_arrow(row, writer.features, {
        "crop": {"bytes": crop, "path": f"{row.seed_id}-crop.{_ext(crop)}"},
        "mask": {"bytes": mask, "path": f"{row.seed_id}-mask.{_ext(mask)}"},
    }), len(crop) + len(mask), key=f"{row.seed_id}/{row.crop_sha256}/{row.mask_sha256}")
    facts.add_seed(row)


def _blob(workspace: Workspace, sha: str, what: str, fix: str) -> bytes:
    try:
        return workspace.blobs.read(sha)
    except IntegrityError as exc:
        raise ReleaseError(f"{what}: its stored bytes do not match its sha256 {sha} "
                           f"({exc.message})",
                           fix=f"restore the blob (e.g. `dvc pull`), or delete "
                           f"{workspace.blobs.path(sha)} and {fix}") from None
    except MissingInputError:
        raise ReleaseError(f"{what}: its image {sha} is not in the store "
                           f"{workspace.blobs.root}",
                           fix=f"restore the blob (e.g. `dvc pull`), or {fix}") from None


def _ext(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "bin"
