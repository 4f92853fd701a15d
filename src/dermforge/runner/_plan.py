"""Planning: which requests a run makes, which are already done, which belong to a shard.

Requests are built from the workspace's ``Seed``, ``Crop``, ``Mask`` and ``Prompt`` records,
joined by ``source_id``: the last crop recorded for a seed, the last mask made for that crop,
and the prompt with the highest ``revision`` (the last one among equals).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import InputError, MissingInputError
from ..generators import Backend, SeedInputs
from ..schemas import (
    Candidate,
    Crop,
    GenerationFailure,
    GenerationRequest,
    Mask,
    Prompt,
    Seed,
    SourceImage,
)
from ..store import Workspace

__all__ = ["Shard", "WorkStatus", "parse_shard", "plan_requests", "seed_inputs", "work_status"]

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (1-based) of ``count``: a request belongs to exactly one part."""

    index: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise InputError(f"shard {self.index}/{self.count} does not exist",
                             fix="use --shard I/N with 1 <= I <= N, e.g. --shard 1/4")

    def __contains__(self, request_id: object) -> bool:
        if not isinstance(request_id, str):
            return False
        bucket = int(hashlib.sha256(request_id.encode()).hexdigest()[:16], 16) % self.count
        return bucket == self.index - 1

    @property
    def label(self) -> str:
        return "all" if self.count == 1 else f"{self.index}-of-{self.count}"


def parse_shard(text: str | None) -> Shard:
    """``"I/N"`` → Shard(I, N); None → the whole job."""
    if text is None:
        return Shard()
    match = _SHARD.match(text)
    if match is None:
        raise InputError(f"--shard must look like I/N (e.g. 2/8), got {text!r}",
                         fix="pass the part number and the number of parts, e.g. --shard 1/4")
    return Shard(int(match.group(1)), int(match.group(2)))


def _latest_by_source(records: Iterable[Crop]) -> dict[str, Crop]:
    latest: dict[str, Crop] = {}
    for record in records:
        latest[record.source_id] = record
    return latest


def seed_inputs(workspace: Workspace) -> list[SeedInputs]:
    """Every seed of the workspace with the records a request is built from (None = absent)."""
    seeds: dict[str, Seed] = {}
    for seed in workspace.manifest(Seed):
        seeds.setdefault(seed.source_id, seed)
    if not seeds:
        raise MissingInputError(f"the workspace {workspace.root} has no seeds "
                                f"({workspace.manifest(Seed).path} is empty or missing)",
                                fix="sample seeds first (dermforge seeds ...), then prepare them")
    sources = {s.source_id: s for s in workspace.manifest(SourceImage)}
    crops = _latest_by_source(workspace.manifest(Crop))
    masks: dict[tuple[str, str], Mask] = {}
    for mask in workspace.manifest(Mask):
        masks[(mask.source_id, mask.crop_sha256)] = mask
    prompts: dict[str, Prompt] = {}
    for prompt in workspace.manifest(Prompt):
        best = prompts.get(prompt.source_id)
        if best is None or prompt.revision >= best.revision:
            prompts[prompt.source_id] = prompt
    result = []
    for source_id, seed in seeds.items():
        crop = crops.get(source_id)
        result.append(SeedInputs(
            seed=seed, source=sources.get(source_id), crop=crop,
            mask=masks.get((source_id, crop.sha256)) if crop is not None else None,
            prompt=prompts.get(source_id)))
    return result


def plan_requests(workspace: Workspace, backend: Backend, n: int,
                  shard: Shard | None = None) -> list[GenerationRequest]:
    """The backend's requests for every seed, in seed order, restricted to ``shard``."""
    requests = backend.plan(seed_inputs(workspace), n)
    unique = list({r.request_id: r for r in requests}.values())
    part = shard or Shard()
    return [r for r in unique if r.request_id in part]


@dataclass
class WorkStatus:
    """What the workspace already holds for a plan."""

    todo: list[GenerationRequest] = field(default_factory=list)
    done: list[GenerationRequest] = field(default_factory=list)
    failed: list[GenerationRequest] = field(default_factory=list)
    incomplete: list[GenerationRequest] = field(default_factory=list)
    spent_usd: float = 0.0
    candidate_ids: set[str] = field(default_factory=set)


def work_status(workspace: Workspace, requests: Sequence[GenerationRequest]) -> WorkStatus:
    """Split a plan into todo / done (all n candidates) / failed (permanent failure).

    ``incomplete``: some but not all candidates and no failure — never re-requested (the
    indices present were paid for); listed so the user can decide. ``spent_usd``: the
    recorded cost of the plan's candidates so far.
    """
    wanted = {r.request_id for r in requests}
    status = WorkStatus()
    have: Counter[str] = Counter()
    for candidate in workspace.manifest(Candidate):
        status.candidate_ids.add(candidate.candidate_id)
        if candidate.request_id in wanted:
            have[candidate.request_id] += 1
            status.spent_usd += candidate.cost_usd or 0.0
    failed = {f.request_id for f in workspace.manifest(GenerationFailure) if f.permanent}
    for request in requests:
        count = have[request.request_id]
        if count >= request.n:
            status.done.append(request)
        elif request.request_id in failed:
            status.failed.append(request)
        elif count:
            status.incomplete.append(request)
        else:
            status.todo.append(request)
    return status
