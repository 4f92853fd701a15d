"""The build writes rows column-wise, without validating them again: they must be the
validated rows."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import fields
from datetime import timedelta
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import Features

from dermforge.builder._db import BuildDB
from dermforge.builder._features import (
    condition_names,
    release_features,
    seed_features,
    to_arrow,
)
from dermforge.builder._index import WorkspaceIndex
from dermforge.builder._render import Renderer, candidate_lineage
from dermforge.builder._rows import RowFacts, lineage, release_row, seed_row
from dermforge.builder._write import _SEED_KEYS, merge_facts
from dermforge.cards import ReleaseFacts
from dermforge.schemas import (
    Candidate,
    CandidateSignals,
    CurationRule,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    ReleaseRow,
    SourceImage,
    candidate_id,
)
from dermforge.store import Workspace
from release.factory import BASE_TIME, Ready, noise, png

LATER = BASE_TIME + timedelta(days=2)
#: what an imported file recorded about its making (the import keeps it in the metadata)
GENERATOR = {"read_from": ["png:parameters"], "prompt": "a plaque, the maker's words",
             "steps": 30, "sampler": "Euler a", "cfg_scale": 7.0}
T2I_CONDITION = "psoriasis"  # a condition no seed has: only the request states it


def _signals(c: Candidate, seed_crop: str, **changes: object) -> CandidateSignals:
    return CandidateSignals.model_validate({
        "candidate_id": c.candidate_id, "candidate_sha256": c.sha256,
        "seed_id": c.source_id, "crop_sha256": seed_crop, "mask_sha256": None,
        "skin_region": "whole-image", "skin_fraction": 1.0, "ita": 12.5, "ita_group": "I-II",
        "seed_ita": 30.0, "seed_ita_group": "I-II", "ita_delta": -17.5, "seed_distance": 9,
        "seed_difference": 3.5, "nearest_test_id": None, "nearest_test_distance": None,
        "seed_source_test_id": None, "seed_source_test_distance": None,
        "test_images_compared": 0, "test_images_missing": 0, "sharpness": 2.0,
        "seed_sharpness": 3.0, "flags": ("blurry",), "hash_method": "dhash",
        "params_sha256": "a" * 64, "test_set_sha256": "b" * 64, **changes})


def _imported(ws: Workspace, request: GenerationRequest, n: int,
              metadata: dict[str, Any]) -> list[Candidate]:
    out = []
    for index in range(n):
        cid = candidate_id(request.request_id, index)
        sha = ws.blobs.put(png(noise(cid, 32)), layer="factory")
        out.append(Candidate(
            candidate_id=cid, request_id=request.request_id, index=index,
            source_id=request.source_id, backend=request.backend, model=request.model,
            sha256=sha, width=32, height=32, format="png",
            created=BASE_TIME + timedelta(hours=1, seconds=index), cost_usd=None,
            metadata={"file_name": f"{cid[:8]}.png", **metadata}))
    return out


def add_imports(ready: Ready) -> None:
    """An import made with its maker's own prompt (generator metadata recorded in one of
    its files, not the other), and two text-to-image imports (no seed photograph), each
    kind with a person's accept and one left unreviewed."""
    ws, seeded = ready.workspace, ready.populated.requests[0]
    own = GenerationRequest.create(
        source_id=seeded.source_id, backend="import", model="webui-v1.10",
        operation="import", prompt="a plaque, the maker's words",
        image_sha256=seeded.image_sha256, mask_sha256=seeded.mask_sha256, size="32x32", n=2)
    t2i = GenerationRequest.create(
        source_id=None, backend="import", model="webui-v1.10", operation="text-to-image",
        prompt="psoriasis plaques on the elbow, very dark skin", image_sha256=None,
        mask_sha256=None, size="32x32", n=2, condition=T2I_CONDITION, fitzpatrick=6,
        parameters={"steps": 30})
    cands = (_imported(ws, own, 1, {"generator_metadata": GENERATOR, "variation_seed": 7})
             + [c.model_copy(update={"metadata": {"file_name": "plain.png"}})
                for c in _imported(ws, own, 2, {})[1:]]
             + _imported(ws, t2i, 2, {"generator_metadata": {"read_from": []}}))
    ws.manifest(GenerationRequest).append([own, t2i])
    ws.manifest(Candidate).append(cands)
    ws.manifest(CurationVerdict).append(
        CurationVerdict(candidate_id=c.candidate_id, decision="accept", reviewer="rev-a",
                        decided_at=LATER) for c in cands if c.index == 0)


def second_opinions(ready: Ready) -> None:
    """rev-b disagrees with rev-a on two candidates and agrees on one; an adjudicator
    settles the first disagreement; a reviewer's verdict says undecided on a fourth."""
    first, second, agreed, unsure = (ready.populated.candidates[i].candidate_id
                                     for i in (0, 3, 6, 9))
    ready.workspace.manifest(CurationVerdict).append([
        CurationVerdict(candidate_id=first, decision="reject", reviewer="rev-b",
                        reviewer_qualification="resident", decided_at=LATER,
                        reason_codes=("artifact",)),
        CurationVerdict(candidate_id=second, decision="reject", reviewer="rev-b",
                        reviewer_qualification="resident", decided_at=LATER),
        CurationVerdict(candidate_id=agreed, decision="accept", reviewer="rev-b",
                        reviewer_qualification="resident", decided_at=LATER, photorealism=4),
        CurationVerdict(candidate_id=unsure, decision="undecided", reviewer="rev-b",
                        decided_at=LATER),
        CurationVerdict(candidate_id=first, decision="accept", reviewer="boss",
                        reviewer_qualification="dermatologist", role="adjudicator",
                        decided_at=LATER + timedelta(hours=1), note="settled"),
    ])


def varied(ready: Ready) -> Workspace:
    """Every kind of row: a person's verdict (with and without a stated qualification), an
    automatic one, none at all, several people's; signals of the current image, of other
    bytes, none; imports with their own prompt and generator metadata; text-to-image."""
    ws = ready.workspace
    human = ready.verdicts
    ws.manifest(CurationVerdict).rewrite(
        [v.model_copy(update={"reviewer_qualification": "dermatologist"}) if i % 4 == 0 else v
         for i, v in enumerate(human) if i % 3 != 2])
    ws.auto_verdicts().rewrite(v.model_copy(update={"reviewer": "auto:first-k"})
                               for i, v in enumerate(human) if i % 3 == 2 and i % 2 == 0)
    cands = ready.populated.candidates
    crop = next(iter(ws.manifest(Candidate)))  # any sha256 will do for the seed crop
    ws.manifest(CandidateSignals).append([
        _signals(cands[0], crop.sha256), _signals(cands[1], crop.sha256, ita_group="V-VI"),
        _signals(cands[2], crop.sha256, candidate_sha256="c" * 64)])
    add_imports(ready)
    second_opinions(ready)
    # no two manifests in the same order, and masks alike but for their params: a row's
    # values come from each record's own line
    masks = [m.model_copy(update={"params": {**m.params, "n": i}})
             for i, m in enumerate(ws.manifest(Mask))]
    ws.manifest(Mask).rewrite(masks[::-1])
    for model in (SourceImage, Prompt):
        records = list(ws.manifest(model))
        ws.manifest(model).rewrite(records[1:] + records[:1])
    return ws


@pytest.fixture(params=["single", "majority", "adjudicated"])
def index(ready: Ready, request: pytest.FixtureRequest) -> Iterator[WorkspaceIndex]:
    db = BuildDB()
    rule: CurationRule = request.param
    index = WorkspaceIndex.load(varied(ready), db, rule)
    yield index
    index.close()
    db.close()


def _facts_of(facts: RowFacts, reference: ReleaseRow) -> None:
    """Every field the card counts is the validated row's (verdicts: the same verdicts)."""
    for f in fields(RowFacts):
        mine, theirs = getattr(facts, f.name), getattr(reference, f.name)
        if f.name == "verdicts":
            mine = [v._asdict() for v in mine]
            theirs = [v.model_dump() for v in theirs]
        assert mine == theirs, f.name


class _Recorder(ReleaseFacts):
    """ReleaseFacts that also keeps every row it was given."""

    def __init__(self, conditions: list[str]) -> None:
        super().__init__(conditions)
        self.rows: list[RowFacts] = []

    def add_row(self, row: Any) -> None:
        self.rows.append(row)
        super().add_row(row)


def _as_arrow(row: dict[str, Any], features: Features) -> dict[str, Any]:
    """A row's values as its arrow columns give them back (lists, not tuples), no images."""
    schema = pa.schema([f for f in features.arrow_schema if f.name in row])
    return cast(dict[str, Any], pa.RecordBatch.from_pylist([row], schema=schema).to_pylist()[0])


def _parquet(batch: pa.RecordBatch) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_batches([batch]), out)
    return out.getvalue()


def _ordered(index: WorkspaceIndex) -> list[str]:
    return [cid for (cid,) in index.db.rows("SELECT cid FROM cands ORDER BY cid")]


def test_written_rows_are_the_validated_rows(index: WorkspaceIndex,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    conditions = condition_names(index.conditions)
    features = release_features(conditions)
    renderer = Renderer(index, features, seed_features(conditions), conditions, "1.2.3")
    monkeypatch.setattr("dermforge.builder._render.ReleaseFacts", _Recorder)
    cids = _ordered(index)
    parts = [renderer.candidates(part) for part in (cids[:7], cids[7:20], cids[20:])]
    kinds = set()
    reference_facts = ReleaseFacts(conditions)
    rows = [row for part in parts for row in part.candidates.to_pylist()]
    counted = [facts for part in parts for facts in cast(_Recorder, part.facts).rows]
    assert [r["image_id"] for r in rows] == cids
    for cid, row, facts in zip(cids, rows, counted, strict=True):
        c = index.candidates.get(cid)
        assert c is not None
        reference = release_row(index, lineage(index, c), "1.2.3")  # validated
        assert row.pop("image")["path"].startswith(cid)
        assert row == _as_arrow(to_arrow(reference, features), features)
        _facts_of(facts, reference)
        reference_facts.add_row(reference)
        kinds.add((reference.reviewer, reference.signal_ita is not None,
                   reference.operation, reference.generator_metadata is not None,
                   reference.prompt_slots is None, len(reference.verdicts),
                   reference.verdict))
    assert {k[0] for k in kinds} >= {"rev-a", "auto:first-k", None}
    assert {k[1] for k in kinds} == {True, False}
    assert {k[2:5] for k in kinds} == {
        ("edit", False, False), ("import", True, True), ("import", False, True),
        ("text-to-image", True, True)}
    if index.rule != "single":  # several people's verdicts, and the adjudicator's
        assert max(k[5] for k in kinds) == 3 and "undecided" in {k[6] for k in kinds}
    # the card's counts: merged chunk by chunk as the build does
    fast_facts = ReleaseFacts(conditions)
    for part in parts:
        merge_facts(fast_facts, cast(ReleaseFacts, part.facts))
    assert fast_facts == reference_facts
    assert reference_facts.text_to_image == 1 and reference_facts.embedded
    if index.rule != "single":
        assert reference_facts.ratings
    # laid out as from_pylist lays them out (the card's num_bytes counts the buffers), and
    # written to parquet alike; a text-to-image row and an own-prompt import hold null
    # structs (crop_box, prompt_slots)
    for batch in (b for part in parts for b in (part.candidates, part.synthetic)):
        same = pa.RecordBatch.from_pylist(batch.to_pylist(), schema=batch.schema)
        assert [c.nbytes for c in batch.columns] == [c.nbytes for c in same.columns]
        assert _parquet(batch) == _parquet(same)
    assert any(r["crop_box"] is None for r in rows) and any(
        r["prompt_slots"] is None for r in rows)
    # the synthetic rows: the accepted candidates, with their own release_added
    for part in parts:
        synthetic = part.synthetic.to_pylist()
        assert [r["image_id"] for r in synthetic] == [
            r["image_id"] for r in part.candidates.to_pylist() if r["verdict"] == "accept"]


def test_written_seed_rows_are_the_validated_rows(index: WorkspaceIndex) -> None:
    """The seeds rows, taken column-wise, are the validated ``SeedRow`` of each key."""
    conditions = condition_names(index.conditions)
    features = seed_features(conditions)
    renderer = Renderer(index, release_features(conditions), features, conditions, "1.2.3")
    index.db.conn.execute(_SEED_KEYS)
    keys = [k for (k,) in index.db.rows("SELECT k FROM seedkeys ORDER BY k")]
    assert len(keys) > 3
    part = renderer.seeds(keys)
    reference_facts = ReleaseFacts(conditions)
    seen = set()
    for key, row in zip(keys, part.candidates.to_pylist(), strict=True):
        seed_id, crop, mask = key.split("\x1f")
        cid = index.db.one("SELECT c.cid FROM cands c JOIN reqs r ON r.rid = c.request "
                           "WHERE c.seed = ? AND r.img = ? AND r.mask = ? LIMIT 1",
                           (seed_id, crop, mask))
        reference = seed_row(candidate_lineage(index, cid), "1.2.3")
        assert row.pop("crop")["path"] == f"{seed_id}-crop.png"
        assert row.pop("mask")["path"] == f"{seed_id}-mask.png"
        assert row == _as_arrow(to_arrow(reference, features), features)
        reference_facts.add_seed(reference)
        seen.add(seed_id)
    assert part.facts == reference_facts and len(seen) == len(keys)
