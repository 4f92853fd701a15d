"""What a seed page shows, as plain data (rendered by the template and sent to the page's JS).

Records in, dicts out: no I/O here beyond the cached record reads of :class:`Records`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..curation import (
    REASON_CODES,
    Reviewer,
    SeedStatus,
    curation_status,
    is_automatic,
    visible_verdicts,
)
from ..schemas import Candidate, CandidateSignals, CurationVerdict
from ._records import Records
from ._state import ReviewState, review_state
from ._words import FLAG_WORDS

__all__ = ["REASON_CODES", "Overview", "candidate_view", "overview", "seed_view"]

@dataclass(frozen=True)
class Overview:
    """Seeds in review order (condition, group, seed id) and progress across them."""

    seeds: list[SeedStatus]

    def ids(self) -> list[str]:
        return [s.seed_id for s in self.seeds]

    def progress(self) -> dict[str, int]:
        return {
            "seeds_total": len(self.seeds),
            "seeds_done": sum(1 for s in self.seeds if s.undecided == 0),
            "candidates_total": sum(s.candidates for s in self.seeds),
            "candidates_decided": sum(s.candidates - s.undecided for s in self.seeds),
            "accepted": sum(s.accepted for s in self.seeds),
        }


def overview(records: Records) -> Overview:
    return Overview(curation_status(records.candidates(), records.latest(),
                                    records.seeds().values()))


def _verdict(verdict: CurationVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {"decision": verdict.decision, "reason_codes": list(verdict.reason_codes),
            "photorealism": verdict.photorealism, "consistency": verdict.consistency,
            "reviewer": verdict.reviewer,
            "reviewer_qualification": verdict.reviewer_qualification,
            "decided_at": verdict.decided_at.isoformat(), "note": verdict.note,
            "automatic": is_automatic(verdict.reviewer)}


def _disputed(history: Sequence[CurationVerdict]) -> dict[str, str]:
    """reviewer → latest decision, when reviewers' latest decisions disagree; else {}."""
    last: dict[str, str] = {}
    for verdict in history:
        last[verdict.reviewer] = verdict.decision
    return last if len(set(last.values())) > 1 else {}


def _signals(record: CandidateSignals | None) -> dict[str, Any] | None:
    if record is None:
        return None
    ratio = record.sharpness / record.seed_sharpness if record.seed_sharpness > 0 else None
    return {
        "ita": round(record.ita, 1), "ita_group": record.ita_group,
        "seed_ita": round(record.seed_ita, 1), "seed_ita_group": record.seed_ita_group,
        "ita_delta": round(record.ita_delta, 1), "skin_region": record.skin_region,
        "seed_distance": record.seed_distance, "seed_difference": round(record.seed_difference, 1),
        "nearest_test_id": record.nearest_test_id,
        "nearest_test_distance": record.nearest_test_distance,
        "test_images_compared": record.test_images_compared,
        "sharpness_ratio": None if ratio is None else round(ratio, 2),
        "flags": list(record.flags), "hash_method": record.hash_method,
        "flag_words": [FLAG_WORDS.get(flag, flag) for flag in record.flags],
    }


def candidate_view(number: int, candidate: Candidate, verdict: CurationVerdict | None,
                   history: Sequence[CurationVerdict],
                   signals: CandidateSignals | None) -> dict[str, Any]:
    """``verdict`` is the one that counts (people's or the policy's, by the merge rule);
    ``history`` holds people's verdicts only (the policy's are not a review)."""
    return {
        "number": number, "candidate_id": candidate.candidate_id, "sha256": candidate.sha256,
        "width": candidate.width, "height": candidate.height, "backend": candidate.backend,
        "verdict": _verdict(verdict),
        "history": [{"decision": v.decision, "reviewer": v.reviewer,
                     "decided_at": v.decided_at.isoformat()} for v in history],
        "disputed": _disputed(history),
        "signals": _signals(signals),
    }


def _blind(histories: dict[str, list[CurationVerdict]], latest: dict[str, CurationVerdict],
           viewer: Reviewer) -> dict[str, CurationVerdict]:
    """Blinding: keep only what ``viewer`` may see of each candidate's verdicts (others'
    decisions appear once the viewer has decided); ``histories`` is filtered in place."""
    shown = dict(latest)
    for cid, lines in histories.items():
        histories[cid] = visible_verdicts(lines, viewer.name, adjudicator=viewer.adjudicator)
        if len(histories[cid]) < len(lines) and cid in shown:
            del shown[cid]
    return shown


def _accepted(shown: dict[str, CurationVerdict], candidate: Candidate) -> bool:
    verdict = shown.get(candidate.candidate_id)
    return verdict is not None and verdict.decision == "accept"


def seed_view(records: Records, seed_id: str, keep_per_seed: int, *,
              viewer: Reviewer | None = None) -> dict[str, Any] | None:
    """Everything the page of one seed shows; None when the seed has no candidates.
    With a ``viewer`` (a reviewer profile) others' verdicts are blinded until the viewer has
    decided the candidate (:func:`~dermforge.curation.visible_verdicts`), and the accepted
    count is of the verdicts shown. O(candidates of the seed): read from the incremental
    :func:`review_state`."""
    with records.lock:
        state = review_state(records)
        position = state.position.get(seed_id)
        if position is None:
            return None
        return _seed_view(state, position, keep_per_seed, viewer)


def _seed_view(state: ReviewState, position: int, keep_per_seed: int,
               viewer: Reviewer | None) -> dict[str, Any]:
    row, rows = state.rows[position], state.rows
    seed_id = row.seed_id
    candidates = state.by_seed[seed_id]
    histories = {c.candidate_id: list(state.lines.get(c.candidate_id, ())) for c in candidates}
    latest = {c.candidate_id: state.latest[c.candidate_id] for c in candidates
              if c.candidate_id in state.latest}
    if viewer is not None:
        latest = _blind(histories, latest, viewer)
    newest = candidates[-1]
    request = state.requests.get(newest.request_id)
    mask = state.masks.get(request.mask_sha256) if request and request.mask_sha256 else None
    prompt = state.prompts.get((seed_id, request.prompt)) if request else None
    seed = state.seeds.get(seed_id)
    signals = state.signals
    return {
        "seed": {"seed_id": seed_id, "condition": row.condition, "group": row.group,
                 "fitzpatrick": seed.fitzpatrick if seed else None,
                 "dataset": seed.dataset if seed else None},
        "position": position + 1, "total": len(rows),
        "prev": rows[position - 1].seed_id if position > 0 else None,
        "next": rows[position + 1].seed_id if position + 1 < len(rows) else None,
        "crop_sha256": request.image_sha256 if request else None,
        "mask_sha256": mask.sha256 if mask else None,
        "mask": {"method": mask.method, "editable": mask.editable,
                 "editable_fraction": round(mask.editable_fraction, 3)} if mask else None,
        "prompt": prompt.text if prompt else (request.prompt if request else ""),
        "backend": newest.backend, "model": newest.model,
        "candidates": [candidate_view(i, c, latest.get(c.candidate_id),
                                      histories[c.candidate_id], signals.get(c.candidate_id))
                       for i, c in enumerate(candidates, start=1)],
        "keep_per_seed": keep_per_seed, "accepted": row.accepted if viewer is None
        or viewer.adjudicator else sum(1 for c in candidates if _accepted(latest, c)),
        "undecided": row.undecided,
        "signals_missing": sum(1 for c in candidates if c.candidate_id not in signals),
        "progress": state.queue().progress,
    }
