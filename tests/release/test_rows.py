"""The build writes rows without validating them again: they must be the validated rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import timedelta
from typing import Any

import pytest

from dermforge.builder._db import BuildDB
from dermforge.builder._features import condition_names, release_features, to_arrow
from dermforge.builder._index import WorkspaceIndex
from dermforge.builder._render import Renderer
from dermforge.builder._rows import (
    RowFacts,
    candidate_columns,
    counted_verdicts,
    lineage,
    release_row,
    request_columns,
)
from dermforge.builder._write import merge_facts
from dermforge.cards import ReleaseFacts
from dermforge.schemas import (
    Candidate,
    CandidateSignals,
    CurationRule,
    CurationVerdict,
    GenerationRequest,
    ReleaseRow,
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
            mine = [{k: getattr(v, k) for k in ("reviewer", "reviewer_qualification", "role",
                                                "decision", "decided_at")} for v in mine]
            theirs = [v.model_dump() for v in theirs]
        assert mine == theirs, f.name


def test_written_rows_are_the_validated_rows(index: WorkspaceIndex) -> None:
    conditions = condition_names(index.conditions)
    features = release_features(conditions)
    renderer = Renderer(index, features, features, conditions, "1.2.3", None)
    kinds = set()
    counted, reference_facts = [], ReleaseFacts(conditions)
    for (cid, human, auto) in index.db.rows(
            "SELECT c.cid, fh.off, fa.off FROM cands c LEFT JOIN f_verdicts fh ON fh.k = c.cid "
            "LEFT JOIN f_auto_verdicts fa ON fa.k = c.cid ORDER BY c.cid"):
        c = index.candidates.get(cid)
        assert c is not None
        line = lineage(index, c)
        verdict, weighed = counted_verdicts(index, cid, index.verdicts.at(human),
                                            index.auto_verdicts.at(auto))
        fast, facts = candidate_columns(index, c, verdict, weighed,
                                        request_columns(index, line, renderer.labels), "1.2.3")
        reference = release_row(index, line, "1.2.3")  # validated
        assert fast == to_arrow(reference, features)
        _facts_of(facts, reference)
        counted.append(facts)
        reference_facts.add_row(reference)
        kinds.add((verdict.reviewer if verdict else None, reference.signal_ita is not None,
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
    # the card's counts: alike row by row, and merged chunk by chunk as the workers do
    fast_facts = ReleaseFacts(conditions)
    for part in (counted[:7], counted[7:20], counted[20:]):
        chunk = ReleaseFacts(conditions)
        for facts in part:
            chunk.add_row(facts)
        merge_facts(fast_facts, chunk)
    assert fast_facts == reference_facts
    assert reference_facts.text_to_image == 1 and reference_facts.embedded
    if index.rule != "single":
        assert reference_facts.ratings
