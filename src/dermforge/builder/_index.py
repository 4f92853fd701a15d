"""Everything the build reads from a workspace, indexed for the join."""

from __future__ import annotations

from dataclasses import dataclass

from ..curation import latest_verdicts
from ..errors import MissingInputError
from ..schemas import (
    Candidate,
    Crop,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    Seed,
    SourceImage,
    SplitMembership,
)
from ..store import MANIFEST_FILES, Workspace

__all__ = ["WorkspaceIndex"]


@dataclass
class WorkspaceIndex:
    """Records by key. Crops and masks are keyed by (source id, sha256 …) because identical
    bytes (e.g. the same ellipse mask) may serve several seeds."""

    workspace: Workspace
    sources: dict[str, SourceImage]
    seeds: dict[str, Seed]
    crops: dict[tuple[str, str], Crop]
    masks: dict[tuple[str, str, str], Mask]
    prompts: dict[tuple[str, str], Prompt]
    requests: dict[str, GenerationRequest]
    candidates: dict[str, Candidate]
    verdicts: list[CurationVerdict]
    latest: dict[str, CurationVerdict]
    splits: list[SplitMembership]

    @classmethod
    def load(cls, workspace: Workspace) -> WorkspaceIndex:
        for model in (Candidate, SplitMembership):
            if not workspace.manifest(model).exists():
                raise MissingInputError(
                    f"{workspace.records_dir / MANIFEST_FILES[model]} does not exist",
                    fix="run the earlier stages first (`dermforge splits` writes splits, "
                    "generation writes candidates)",
                )
        prompts: dict[tuple[str, str], Prompt] = {}
        for prompt in workspace.manifest(Prompt):
            key = (prompt.source_id, prompt.text)
            if key not in prompts or prompts[key].revision <= prompt.revision:
                prompts[key] = prompt
        verdicts = workspace.read(CurationVerdict)
        return cls(
            workspace=workspace,
            sources={s.source_id: s for s in workspace.manifest(SourceImage)},
            seeds={s.source_id: s for s in workspace.manifest(Seed)},
            crops={(c.source_id, c.sha256): c for c in workspace.manifest(Crop)},
            masks={(m.source_id, m.crop_sha256, m.sha256): m for m in workspace.manifest(Mask)},
            prompts=prompts,
            requests={r.request_id: r for r in workspace.manifest(GenerationRequest)},
            candidates={c.candidate_id: c for c in workspace.manifest(Candidate)},
            verdicts=verdicts,
            latest=latest_verdicts(verdicts),
            splits=workspace.read(SplitMembership),
        )
