"""Records of a release: the flat row a dataset user sees, and the release itself."""

from __future__ import annotations

from pydantic import AwareDatetime, Field, JsonValue, NonNegativeInt

from ._base import Fitzpatrick, FstGroup, NonEmptyStr, Record, Score, SemVer, Sha256, SourceId
from ._prepare import CropBox, PromptSlots

__all__ = ["Release", "ReleaseRow"]


class ReleaseRow(Record):
    """Every provenance field of one released synthetic image."""

    image_id: NonEmptyStr = Field(description="the candidate id")
    image_sha256: Sha256
    condition: NonEmptyStr
    fst_group: FstGroup = Field(description="skin-type group of the seed")
    seed_id: SourceId
    seed_fitzpatrick: Fitzpatrick
    seed_sha256: Sha256
    source_dataset: NonEmptyStr
    source_url: str | None
    source_license: NonEmptyStr
    crop_box: CropBox
    crop_method: NonEmptyStr
    crop_sha256: Sha256
    mask_method: NonEmptyStr
    mask_sha256: Sha256
    prompt: NonEmptyStr
    prompt_slots: PromptSlots
    prompt_template_version: NonEmptyStr
    backend: NonEmptyStr
    model: NonEmptyStr
    request_id: Sha256
    candidate_index: NonNegativeInt
    generated_at: AwareDatetime
    verdict: NonEmptyStr
    reason_codes: tuple[str, ...]
    photorealism: Score | None
    consistency: Score | None
    reviewer: NonEmptyStr
    decided_at: AwareDatetime
    release_added: SemVer


class Release(Record):
    name: NonEmptyStr
    version: SemVer
    parent_version: SemVer | None
    created: AwareDatetime
    dermforge_version: NonEmptyStr
    git_revision: str | None
    params: dict[str, JsonValue]
    counts: dict[str, NonNegativeInt]
    files: dict[str, Sha256] = Field(description="sha256 of every file of the release, by path")
    changelog: tuple[str, ...]
    evaluation: dict[str, JsonValue] | None = None
