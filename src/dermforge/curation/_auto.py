"""Automatic curation policies — for the demo only, never a substitute for human review.

Each policy is a pure function (candidates, people's latest verdicts, k) → verdicts for the
candidates no person has judged, registered by name; its verdicts carry the reviewer
``auto:<name>`` so that every card and audit shows they were not made by a person.
:func:`apply_policy` runs one as the ``curate auto`` stage: it rewrites the automatic log
(``records/auto_verdicts.jsonl``) from the candidates and the human log, and never touches
the human log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import InputError
from ..schemas import Candidate, CurationVerdict
from ..store import Workspace
from ._human import AUTO_PREFIX
from ._log import VerdictLog, latest_verdicts, merge_latest
from ._rules import accepted_per_seed, seeds_over_keep

__all__ = ["AUTO_NOTE", "PolicyRun", "apply_policy", "create_policy", "first_k",
           "list_policies"]

Policy = Callable[[Iterable[Candidate], Mapping[str, CurationVerdict], int], list[CurationVerdict]]

AUTO_NOTE = "automatic demo policy, not a human review"


def generation_order(candidate: Candidate) -> tuple[datetime, str, int]:
    return (candidate.created, candidate.request_id, candidate.index)


def first_k(
    candidates: Iterable[Candidate], latest: Mapping[str, CurationVerdict], k: int
) -> list[CurationVerdict]:
    """Per seed, in generation order: accept the first candidates until ``k`` are accepted,
    reject the rest. Candidates that a person judged (``latest``) are left alone, and their
    accepted ones count towards ``k``. Verdicts are dated at the seed's newest candidate, so
    re-running the policy on the same inputs writes the same verdicts."""
    by_seed: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_seed.setdefault(candidate.seed_or_request, []).append(candidate)
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


@dataclass(frozen=True)
class PolicyRun:
    """What one run of an automatic policy wrote to the automatic log."""

    reviewer: str
    path: Path
    verdicts: int
    accepted: int
    judged_by_people: int
    changed: bool
    cleaned: tuple[Path, ...]

    @property
    def rejected(self) -> int:
        return self.verdicts - self.accepted


def apply_policy(workspace: Workspace, policy: str, keep_per_seed: int) -> PolicyRun:
    """The ``curate auto`` stage: decide every candidate no person judged by ``policy`` and
    rewrite ``records/auto_verdicts.jsonl`` with exactly those verdicts (atomically; the
    same candidates and human log give a byte-identical file, left untouched).

    The human log is read, never written. The merged state must keep at most
    ``keep_per_seed`` accepted candidates per seed (people's accepts count), else
    :class:`InputError` names each seed and nothing is written. Temp files a killed run
    left next to the automatic log are removed first (``cleaned``).
    """
    decide = create_policy(policy)
    log = VerdictLog(workspace, keep_per_seed=keep_per_seed)
    workspace.require(Candidate, made_by="dermforge generate")
    cleaned = tuple(log.auto_manifest.clean_leftovers())
    with log.locked():
        candidates, human = log.candidates(), log.human_latest()
        verdicts = decide(candidates.values(), human, keep_per_seed)
        _check_merged(verdicts, human, candidates, keep_per_seed, log.path)
        changed = log.auto_manifest.replace(verdicts)
    return PolicyRun(reviewer=f"{AUTO_PREFIX}{policy}", path=log.auto_path,
                     verdicts=len(verdicts),
                     accepted=sum(1 for v in verdicts if v.decision == "accept"),
                     judged_by_people=sum(1 for c in human if c in candidates),
                     changed=changed, cleaned=cleaned)


def _check_merged(verdicts: Sequence[CurationVerdict], human: Mapping[str, CurationVerdict],
                  candidates: Mapping[str, Candidate], keep: int, human_path: Path) -> None:
    merged = merge_latest(human, latest_verdicts(verdicts))
    counts = accepted_per_seed(merged, candidates)
    people = accepted_per_seed(human, candidates)
    over = sorted(seeds_over_keep(counts, keep))
    if over:
        lines = [f"seed {seed}: {counts[seed]} accepted ({people[seed]} by people in "
                 f"{human_path})" for seed in over]
        raise InputError(f"{len(over)} seed(s) would keep more than {keep} accepted "
                         "candidates (the keep-per-seed rule); nothing was written:\n  "
                         + "\n  ".join(lines),
                         fix="reject some of those seeds' candidates (`dermforge curate "
                             "export`, edit, `curate import`), or raise curate.keep_per_seed")


