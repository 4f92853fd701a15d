"""Automatic curation policies — for the demo only, never a substitute for human review.

Each policy is a pure function (candidates, current latest verdicts, k) → new verdicts,
registered by name; its verdicts carry the reviewer ``auto:<name>`` so that every card and
audit shows they were not made by a person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from ..errors import InputError
from ..schemas import Candidate, CurationVerdict

__all__ = ["AUTO_NOTE", "create_policy", "first_k", "list_policies"]

Policy = Callable[[Iterable[Candidate], Mapping[str, CurationVerdict], int], list[CurationVerdict]]

AUTO_NOTE = "automatic demo policy, not a human review"


def generation_order(candidate: Candidate) -> tuple[datetime, str, int]:
    return (candidate.created, candidate.request_id, candidate.index)


def first_k(
    candidates: Iterable[Candidate], latest: Mapping[str, CurationVerdict], k: int
) -> list[CurationVerdict]:
    """Per seed, in generation order: accept the first candidates until ``k`` are accepted,
    reject the rest. Candidates that already have a verdict are left alone (and accepted
    ones count towards ``k``). Verdicts are dated at the seed's newest candidate, so
    re-running the policy on the same candidates writes the same verdicts."""
    by_seed: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_seed.setdefault(candidate.source_id, []).append(candidate)
    verdicts: list[CurationVerdict] = []
    for seed_id in sorted(by_seed):
        group = sorted(by_seed[seed_id], key=generation_order)
        decided_at = max(c.created for c in group)
        accepted = sum(1 for c in group if _decision(latest, c) == "accept")
        for candidate in group:
            if candidate.candidate_id in latest:
                continue
            accept = accepted < k
            accepted += accept
            verdicts.append(CurationVerdict(
                candidate_id=candidate.candidate_id,
                decision="accept" if accept else "reject",
                reason_codes=() if accept else ("auto:beyond-first-k",),
                reviewer="auto:first-k",
                decided_at=decided_at,
                note=AUTO_NOTE,
            ))
    return verdicts


def _decision(latest: Mapping[str, CurationVerdict], candidate: Candidate) -> str | None:
    verdict = latest.get(candidate.candidate_id)
    return verdict.decision if verdict else None


_POLICIES: dict[str, Policy] = {"first-k": first_k}


def list_policies() -> list[str]:
    return sorted(_POLICIES)


def create_policy(name: str) -> Policy:
    try:
        return _POLICIES[name]
    except KeyError:
        raise InputError(f"unknown curation policy {name!r}",
                         fix=f"use one of: {', '.join(list_policies())}") from None
