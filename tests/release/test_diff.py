"""A new version diffs against the previous one: rows added and removed, verdicts changed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import datasets

from dermforge.builder import build_release
from dermforge.schemas import CurationVerdict, Seed, SourceImage
from release.factory import BASE_TIME, Ready, populate, write_splits


def verdict(cid: str, decision: str) -> CurationVerdict:
    return CurationVerdict(candidate_id=cid, decision=decision,  # type: ignore[arg-type]
                           reviewer="rev-b", decided_at=BASE_TIME + timedelta(days=3))


def test_changelog_and_release_added(ready: Ready, tmp_path: Path) -> None:
    ws = ready.workspace
    v1 = build_release(ws, version="1.0.0", out=tmp_path / "v1").path
    seed = ready.populated.candidates[0].source_id
    mine = [v for v, c in zip(ready.verdicts, ready.populated.candidates, strict=True)
            if c.source_id == seed]
    was_accepted, was_rejected = mine[0].candidate_id, mine[2].candidate_id
    seeds = {s.source_id for s in ws.manifest(Seed)}
    fresh = next(s for s in sorted(ws.manifest(SourceImage), key=lambda s: s.source_id)
                 if s.source_id not in seeds)
    new = populate(ws, [fresh], candidates_per_seed=2)
    write_splits(ws, list(ws.manifest(Seed)))
    ws.manifest(CurationVerdict).append([
        verdict(was_accepted, "reject"), verdict(was_rejected, "accept"),
        verdict(new.candidates[0].candidate_id, "accept")])
    v2 = build_release(ws, version="1.1.0", out=tmp_path / "v2", previous=v1)
    assert v2.diff.added == sorted([was_rejected, new.candidates[0].candidate_id])
    assert v2.diff.removed == [was_accepted]
    assert sorted(v2.diff.changed) == sorted([(was_accepted, "accept", "reject"),
                                              (was_rejected, "reject", "accept")])
    assert v2.diff.new_candidates == 2
    assert v2.release.parent_version == "1.0.0"
    changelog = (v2.path / "CHANGELOG.md").read_text()
    assert changelog.index("## 1.1.0") < changelog.index("## 1.0.0")
    assert "2 synthetic images added, 1 removed, 2 verdicts changed, 2 new candidates" in changelog
    assert f"Verdict changed: {was_accepted}: accept → reject" in changelog
    assert "First release: 16 synthetic images" in changelog
    card = (v2.path / "README.md").read_text()
    assert f"Removed: {was_accepted}" in card and "previous version 1.0.0" in card

    synthetic = datasets.load_dataset(str(v2.path), split="train")
    added = dict(zip(synthetic["image_id"], synthetic["release_added"], strict=True))
    assert added[was_rejected] == "1.1.0" and added[new.candidates[0].candidate_id] == "1.1.0"
    assert {v for k, v in added.items() if k not in v2.diff.added} == {"1.0.0"}
    candidates = datasets.load_dataset(str(v2.path), "candidates", split="train")
    listed = dict(zip(candidates["image_id"], candidates["release_added"], strict=True))
    assert listed[was_rejected] == "1.0.0" and listed[new.candidates[1].candidate_id] == "1.1.0"
    unreviewed = next(r for r in candidates if r["image_id"] == new.candidates[1].candidate_id)
    assert unreviewed["verdict"] is None and unreviewed["reviewer"] is None
    seeds = datasets.load_dataset(str(v2.path), "seeds", split="train")
    assert sorted(seeds["release_added"]) == ["1.0.0"] * 8 + ["1.1.0"]
