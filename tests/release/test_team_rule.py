"""The curation rule in a built release: each row records the rule and every verdict that
decided it; verify and audit read them; the card states the rule and the agreement."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dermforge.builder import audit_image, build_release, verify_release
from dermforge.curation import CurateParams
from dermforge.schemas import CurationVerdict
from release.factory import BASE_TIME, Ready

LATER = BASE_TIME + timedelta(days=2)


def _second_opinions(ready: Ready) -> tuple[str, str, str]:
    """rev-b disagrees with rev-a on two accepted candidates and agrees on one; an
    adjudicator settles the first disagreement (accept)."""
    first, second, agreed = (ready.populated.candidates[i].candidate_id for i in (0, 3, 6))
    lines = [
        CurationVerdict(candidate_id=first, decision="reject", reviewer="rev-b",
                        reviewer_qualification="resident", decided_at=LATER),
        CurationVerdict(candidate_id=second, decision="reject", reviewer="rev-b",
                        reviewer_qualification="resident", decided_at=LATER),
        CurationVerdict(candidate_id=agreed, decision="accept", reviewer="rev-b",
                        reviewer_qualification="resident", decided_at=LATER),
        CurationVerdict(candidate_id=first, decision="accept", reviewer="boss",
                        reviewer_qualification="dermatologist", role="adjudicator",
                        decided_at=LATER + timedelta(hours=1)),
    ]
    ready.workspace.manifest(CurationVerdict).append(lines)
    return first, second, agreed


def test_adjudicated_rows_record_the_rule_and_every_verdict(ready: Ready,
                                                           tmp_path: Path) -> None:
    first, second, agreed = _second_opinions(ready)
    out = tmp_path / "release"
    result = build_release(ready.workspace, version="1.0.0", out=out,
                           curate=CurateParams(rule="adjudicated"))
    assert result.release.params["curate"]["rule"] == "adjudicated"  # type: ignore[index]
    assert verify_release(out).problems == []
    settled = audit_image(out, first)
    assert settled["image"]["config"] == "synthetic"
    verdict = settled["verdict"]
    assert (verdict["decision"], verdict["reviewer"], verdict["rule"]) == (
        "accept", "boss", "adjudicated")
    assert [(v["reviewer"], v["reviewer_qualification"], v["role"], v["decision"])
            for v in verdict["verdicts"]] == [
        ("rev-a", None, "reviewer", "accept"), ("rev-b", "resident", "reviewer", "reject"),
        ("boss", "dermatologist", "adjudicator", "accept")]
    waiting = audit_image(out, second)
    assert waiting["image"]["config"] == "candidates"
    assert waiting["verdict"]["decision"] == "undecided"
    assert len(audit_image(out, agreed)["verdict"]["verdicts"]) == 2
    card = (out / "README.md").read_text()
    assert "**Rule `adjudicated`**" in card and "Krippendorff's alpha" in card
    assert "over 3 images that at least two reviewers decided" in card


def test_single_rule_rows_hold_the_one_deciding_verdict(built: tuple[Ready, Path]) -> None:
    ready, path = built
    lineage = audit_image(path, ready.populated.candidates[0].candidate_id)
    assert lineage["verdict"]["rule"] == "single"
    assert [v["reviewer"] for v in lineage["verdict"]["verdicts"]] == ["rev-a"]
    card = (path / "README.md").read_text()
    assert "**Rule `single`**" in card and "Krippendorff" not in card


def test_single_rule_takes_the_last_human_line_when_several_people_wrote(
        ready: Ready, tmp_path: Path) -> None:
    """Under the default rule the build keeps no per-reviewer table: the candidate's last
    human line decides and is the only verdict its row records, even when another reviewer
    and an adjudicator wrote lines too (checked in the built release, not the index)."""
    first, second, agreed = _second_opinions(ready)
    out = tmp_path / "release"
    build_release(ready.workspace, version="1.0.0", out=out)
    assert verify_release(out).problems == []
    decided = {cid: audit_image(out, cid)["verdict"] for cid in (first, second, agreed)}
    assert {cid: (v["decision"], v["reviewer"], [w["reviewer"] for w in v["verdicts"]])
            for cid, v in decided.items()} == {
        first: ("accept", "boss", ["boss"]), second: ("reject", "rev-b", ["rev-b"]),
        agreed: ("accept", "rev-b", ["rev-b"])}
    assert audit_image(out, second)["image"]["config"] == "candidates"
    assert "Krippendorff" not in (out / "README.md").read_text()
