"""What the build refuses, found before anything is written. Each problem names the
candidate or seed and says how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ReleaseError
from ._db import BuildDB

__all__ = ["Refusal", "find_refusals", "raise_refusals"]

_SHOWN = 20
_LIMIT = 100


@dataclass(frozen=True)
class Refusal:
    problem: str
    fix: str


def find_refusals(db: BuildDB, *, keep_per_seed: int,
                  previous_version: str | None = None) -> list[Refusal]:
    """``previous_version`` set: the previous release's tables (prev_syn) are filled."""
    refusals = [*_duplicates(db), *_orphan_acceptances(db), *_over_keep(db, keep_per_seed),
                *_seeds_in_test(db)]
    if previous_version is not None:
        refusals += _lost_verdicts(db, previous_version)
    return refusals


def _duplicates(db: BuildDB) -> list[Refusal]:
    return [Refusal(
        f"candidate {cid} appears more than once in records/candidates.jsonl",
        "keep one line per candidate (the generation runner writes each once)",
    ) for (cid,) in db.rows("SELECT cid FROM cands WHERE dup ORDER BY cid LIMIT ?", (_LIMIT,))]


def _orphan_acceptances(db: BuildDB) -> list[Refusal]:
    sql = ("SELECT d.cid, d.reviewer FROM decisions d LEFT JOIN cands c USING (cid) "
           "WHERE c.cid IS NULL AND d.decision = 'accept' ORDER BY d.cid LIMIT ?")
    return [Refusal(
        f"candidate {cid} is accepted in records/verdicts.jsonl (by {reviewer}) but is not "
        "in records/candidates.jsonl: the accepted image would be missing from the release",
        "restore records/candidates.jsonl and the candidate's image (e.g. `dvc pull`)",
    ) for cid, reviewer in db.rows(sql, (_LIMIT,))]


def _over_keep(db: BuildDB, keep: int) -> list[Refusal]:
    sql = ("SELECT c.seed, COUNT(*) FROM cands c JOIN decisions d USING (cid) "
           "WHERE d.decision = 'accept' GROUP BY c.seed HAVING COUNT(*) > ? ORDER BY c.seed "
           "LIMIT ?")
    return [Refusal(
        f"seed {seed} has {n} accepted candidates, more than the keep-per-seed rule ({keep})",
        f"reject some of seed {seed}'s candidates (`dermforge curate export`, edit, "
        "`curate import`), or raise curate.keep_per_seed deliberately",
    ) for seed, n in db.rows(sql, (keep, _LIMIT))]


def _seeds_in_test(db: BuildDB) -> list[Refusal]:
    sql = ("SELECT t.sid, group_concat(t.exp, ', ') FROM "
           "(SELECT sid, exp FROM tests WHERE sid IN (SELECT seed FROM cands) ORDER BY exp) t "
           "GROUP BY t.sid ORDER BY t.sid LIMIT ?")
    return [Refusal(
        f"seed {seed} is in the test split of {exps}: its synthetic images would leak into "
        "the evaluation (seeds are never test images)",
        "re-run `dermforge splits` after seed sampling (it marks seeds as 'seed'), or drop "
        "the seed's candidates",
    ) for seed, exps in db.rows(sql, (_LIMIT,))]


def _lost_verdicts(db: BuildDB, previous: str) -> list[Refusal]:
    gone = ("SELECT p.cid FROM prev_syn p LEFT JOIN cands c USING (cid) WHERE c.cid IS NULL "
            "ORDER BY p.cid LIMIT ?")
    unjudged = ("SELECT p.cid FROM prev_syn p JOIN cands c USING (cid) "
                "LEFT JOIN decisions d USING (cid) WHERE d.cid IS NULL "
                "ORDER BY p.cid LIMIT ?")
    return [Refusal(
        f"image {cid} of release {previous} is no longer in records/candidates.jsonl",
        "restore the workspace's candidates and images (e.g. `dvc pull`); to withdraw an "
        "image, record a reject verdict for it instead",
    ) for (cid,) in db.rows(gone, (_LIMIT,))] + [Refusal(
        f"image {cid} was accepted in release {previous} but has no verdict in "
        "records/verdicts.jsonl (the log is append-only: was it truncated?)",
        "restore records/verdicts.jsonl (e.g. `dvc pull`); to withdraw the image, record a "
        "reject verdict for it",
    ) for (cid,) in db.rows(unjudged, (_LIMIT,))]


def raise_refusals(refusals: list[Refusal]) -> None:
    if not refusals:
        return
    lines = [r.problem for r in refusals[:_SHOWN]]
    if len(refusals) > _SHOWN:
        lines.append(f"… and {len(refusals) - _SHOWN} more")
    fixes = list(dict.fromkeys(r.fix for r in refusals))
    raise ReleaseError(
        f"the release was not built ({len(refusals)} problem(s)):\n  " + "\n  ".join(lines),
        fix="\n  ".join(fixes),
    )
