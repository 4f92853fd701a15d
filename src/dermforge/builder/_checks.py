"""What the build refuses, found before anything is written. Each problem names the
candidate or seed and says how to fix it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..curation import accepted_per_seed
from ..errors import ReleaseError
from ._index import WorkspaceIndex

__all__ = ["Refusal", "find_refusals", "raise_refusals"]

_SHOWN = 20


@dataclass(frozen=True)
class Refusal:
    problem: str
    fix: str


def find_refusals(
    index: WorkspaceIndex,
    *,
    keep_per_seed: int,
    previous_version: str | None = None,
    previous_accepted: Collection[str] = (),
) -> list[Refusal]:
    return [
        *_orphan_acceptances(index),
        *_over_keep(index, keep_per_seed),
        *_seeds_in_test(index),
        *_lost_verdicts(index, previous_version, previous_accepted),
    ]


def _orphan_acceptances(index: WorkspaceIndex) -> list[Refusal]:
    return [Refusal(
        f"candidate {cid} is accepted in records/verdicts.jsonl (by {v.reviewer}) but is not "
        "in records/candidates.jsonl: the accepted image would be missing from the release",
        "restore records/candidates.jsonl and the candidate's image (e.g. `dvc pull`)",
    ) for cid, v in sorted(index.latest.items())
        if v.decision == "accept" and cid not in index.candidates]


def _over_keep(index: WorkspaceIndex, keep: int) -> list[Refusal]:
    counts = accepted_per_seed(index.latest, index.candidates)
    return [Refusal(
        f"seed {seed} has {n} accepted candidates, more than the keep-per-seed rule ({keep})",
        f"reject some of seed {seed}'s candidates (`dermforge curate export`, edit, "
        "`curate import`), or raise curate.keep_per_seed deliberately",
    ) for seed, n in sorted(counts.items()) if n > keep]


def _seeds_in_test(index: WorkspaceIndex) -> list[Refusal]:
    used = {c.source_id for c in index.candidates.values()}
    tests: dict[str, list[str]] = {}
    for m in index.splits:
        if m.role == "test" and m.source_id in used:
            tests.setdefault(m.source_id, []).append(m.experiment)
    return [Refusal(
        f"seed {seed} is in the test split of {', '.join(sorted(set(exps)))}: its synthetic "
        "images would leak into the evaluation (seeds are never test images)",
        "re-run `dermforge splits` after seed sampling (it marks seeds as 'seed'), or drop "
        "the seed's candidates",
    ) for seed, exps in sorted(tests.items())]


def _lost_verdicts(index: WorkspaceIndex, previous: str | None,
                   accepted: Collection[str]) -> list[Refusal]:
    refusals = []
    for cid in sorted(accepted):
        if cid not in index.candidates:
            refusals.append(Refusal(
                f"image {cid} of release {previous} is no longer in records/candidates.jsonl",
                "restore the workspace's candidates and images (e.g. `dvc pull`); to withdraw "
                "an image, record a reject verdict for it instead",
            ))
        elif cid not in index.latest:
            refusals.append(Refusal(
                f"image {cid} was accepted in release {previous} but has no verdict in "
                "records/verdicts.jsonl (the log is append-only: was it truncated?)",
                "restore records/verdicts.jsonl (e.g. `dvc pull`); to withdraw the image, "
                "record a reject verdict for it",
            ))
    return refusals


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
