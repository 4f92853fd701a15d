"""The build writes rows without validating them again: they must be the validated rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dermforge.builder._db import BuildDB
from dermforge.builder._features import condition_names, release_features, to_arrow
from dermforge.builder._index import WorkspaceIndex
from dermforge.builder._render import Renderer
from dermforge.builder._rows import candidate_columns, lineage, release_row, request_columns
from dermforge.schemas import Candidate, CandidateSignals, CurationVerdict
from dermforge.store import Workspace
from release.factory import Ready


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


def _varied(ready: Ready) -> Workspace:
    """Every kind of row: a person's verdict (with and without a stated qualification), an
    automatic one, none at all; signals of the current image, of other bytes, none."""
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
    return ws


@pytest.fixture
def index(ready: Ready) -> Iterator[WorkspaceIndex]:
    db = BuildDB()
    index = WorkspaceIndex.load(_varied(ready), db)
    yield index
    index.close()
    db.close()


def test_written_rows_are_the_validated_rows(index: WorkspaceIndex) -> None:
    conditions = condition_names(index.conditions)
    features = release_features(conditions)
    renderer = Renderer(index, features, features, conditions, "1.2.3", None)
    kinds = set()
    for (cid,) in index.db.rows("SELECT cid FROM cands ORDER BY cid"):
        c = index.candidates.get(cid)
        assert c is not None
        line = lineage(index, c)
        verdict = index.verdict(cid)
        fast, facts = candidate_columns(index, c, verdict,
                                        request_columns(index, line, renderer.labels), "1.2.3")
        reference = release_row(index, line, "1.2.3")  # validated
        assert fast == to_arrow(reference, features)
        assert (facts.condition, facts.fst_group, facts.fitzpatrick, facts.verdict,
                facts.reviewer, facts.reviewer_qualification, facts.prompt_template_version
                ) == (reference.condition, reference.fst_group, reference.fitzpatrick,
                      reference.verdict, reference.reviewer, reference.reviewer_qualification,
                      reference.prompt_template_version)
        kinds.add((verdict.reviewer if verdict else None, reference.signal_ita is not None))
    assert {k[0] for k in kinds} == {"rev-a", "auto:first-k", None}
    assert {k[1] for k in kinds} == {True, False}
