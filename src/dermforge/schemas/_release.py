"""Records of a release: the flat rows a dataset user sees, and the release itself."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import AwareDatetime, Field, JsonValue, NonNegativeInt, PositiveInt, model_validator

from ._base import (
    FIELD_DOCS,
    QUALIFICATIONS,
    Fitzpatrick,
    FstGroup,
    NonEmptyStr,
    Qualification,
    Record,
    Score,
    SemVer,
    Sha256,
    SourceId,
)
from ._curation import CurationRule, ReviewerRole
from ._evaluation import ReleaseEvaluation, ReleaseSigning
from ._prepare import CropBox, PromptSlots
from ._seeds import SamplingSpec

__all__ = ["SEED_COLUMNS", "TEXT_TO_IMAGE", "Release", "ReleaseRow", "RowVerdict", "SeedRow"]


def _doc(name: str) -> Any:
    """The shared description of a field every config that has it describes alike."""
    return Field(description=FIELD_DOCS[name])


#: the columns of a synthetic row that describe its seed photograph: all null for an image
#: made by ``text-to-image`` (no seed), all set otherwise
SEED_COLUMNS = ("seed_id", "source_sha256", "source_dataset", "source_license", "crop_box",
                "crop_method", "crop_sha256", "mask_method", "mask_sha256")
TEXT_TO_IMAGE = "text-to-image"


class RowVerdict(Record):
    """One verdict that decided a release row (an element of the row's ``verdicts``)."""

    reviewer: NonEmptyStr = Field(description="pseudonym; 'auto:<policy>' = automatic")
    reviewer_qualification: Qualification | None = Field(
        description="one of " + ", ".join(QUALIFICATIONS) + "; null when not stated")
    role: ReviewerRole = Field(description="'reviewer' or 'adjudicator'")
    decision: Literal["accept", "reject", "undecided"]
    decided_at: AwareDatetime


class ReleaseRow(Record):
    """Every provenance field of one released image (a row of ``synthetic`` or ``candidates``).

    In ``synthetic`` every row is accepted and every field but ``source_url``,
    ``request_quality``, ``cost_usd``, ``reviewer_qualification``, the two scores,
    ``generator_metadata`` and ``prompt_slots`` / ``prompt_template_version`` (null for an
    imported image made with its maker's own prompt) is set — except that an image made by
    ``text-to-image`` (no seed photograph) has every :data:`SEED_COLUMNS` null. In
    ``candidates`` a row without any verdict has ``verdict``, ``reviewer`` and ``decided_at`` null.
    """

    image_id: NonEmptyStr = Field(description="the candidate id")
    image_sha256: Sha256 = Field(description="sha256 of the image bytes in the `image` column")
    generated_sha256: Sha256 | None = Field(
        default=None, description="sha256 of the image bytes as generated (before `dermforge "
        "sign` embedded the AI-generated label and Content Credentials); equal to "
        "image_sha256 in an unsigned release; null in releases built before this field")
    condition: NonEmptyStr = _doc("condition")
    fst_group: FstGroup = _doc("fst_group")
    seed_id: SourceId | None = _doc("seed_id")
    fitzpatrick: Fitzpatrick = _doc("fitzpatrick")
    source_sha256: Sha256 | None = _doc("source_sha256")
    source_dataset: NonEmptyStr | None = _doc("source_dataset")
    source_url: str | None = _doc("source_url")
    source_license: NonEmptyStr | None = _doc("source_license")
    crop_box: CropBox | None = _doc("crop_box")
    crop_method: NonEmptyStr | None = _doc("crop_method")
    crop_sha256: Sha256 | None = _doc("crop_sha256")
    mask_method: NonEmptyStr | None = _doc("mask_method")
    mask_sha256: Sha256 | None = _doc("mask_sha256")
    prompt: NonEmptyStr
    prompt_slots: PromptSlots | None = Field(
        description="the slots of dermforge's prompt template that rendered `prompt`; null "
        "for an imported image made with its maker's own prompt (not the seed's template "
        "prompt)")
    prompt_template_version: NonEmptyStr | None = Field(
        description="the template's version; null where prompt_slots is")
    backend: NonEmptyStr
    model: NonEmptyStr
    operation: NonEmptyStr
    request_id: Sha256
    request_size: NonEmptyStr
    request_quality: str | None
    request_parameters: dict[str, JsonValue] = Field(
        description="the request's parameters (a JSON object)")
    candidate_index: NonNegativeInt
    image_width: PositiveInt
    image_height: PositiveInt
    image_format: NonEmptyStr
    generated_at: AwareDatetime
    generation_metadata: dict[str, JsonValue] = Field(
        description="the backend's metadata of the generation (a JSON object)")
    cost_usd: float | None
    generator_metadata: dict[str, JsonValue] | None = Field(
        default=None, description="what an imported image's own file recorded about its "
        "making (a GeneratorMetadata JSON object: Stable Diffusion WebUI `parameters`, ComfyUI "
        "`prompt`/`workflow` graphs, the C2PA manifest's claim generator, actions and digital "
        "source type); null when the file recorded none, for other backends, and in releases "
        "built before this column")
    verdict: Literal["accept", "reject", "undecided"] | None = Field(
        description="the latest verdict; null when the candidate was never reviewed")
    reason_codes: tuple[str, ...]
    photorealism: Score | None
    consistency: Score | None
    reviewer: NonEmptyStr | None = Field(description="pseudonym; 'auto:<policy>' = automatic")
    decided_at: AwareDatetime | None
    verdict_note: str
    release_added: SemVer = _doc("release_added")
    reviewer_qualification: Qualification | None = Field(
        default=None, description="what the reviewer of the verdict stated about themselves ("
        + ", ".join(QUALIFICATIONS) + "); null when not stated, and for automatic verdicts")
    signal_ita: float | None = Field(
        default=None, description="advisory signal (`dermforge curate signals`): individual "
        "typology angle of the non-lesion skin, degrees; null when not measured")
    signal_ita_group: FstGroup | None = Field(
        default=None, description="advisory: the FST group that signal_ita implies")
    signal_seed_ita: float | None = Field(
        default=None, description="advisory: ITA of the seed crop's non-lesion skin")
    signal_seed_distance: NonNegativeInt | None = Field(
        default=None, description="advisory: perceptual-hash distance to the seed crop")
    signal_nearest_test_id: SourceId | None = Field(
        default=None, description="advisory: the experiments' test-split image nearest to "
        "this image")
    signal_nearest_test_distance: NonNegativeInt | None = Field(
        default=None, description="advisory: perceptual-hash distance to that test image "
        "(small = possible leakage)")
    signal_sharpness: float | None = Field(
        default=None, description="advisory: variance of the Laplacian (standardised grey)")
    signal_seed_sharpness: float | None = Field(
        default=None, description="advisory: the same for the seed crop")
    signal_flags: tuple[str, ...] = Field(
        default=(), description="advisory flags raised by the signals' thresholds (never "
        "verdicts): skin-tone-shift, fst-group-change, seed-copy, test-leak, "
        "seed-test-duplicate, blurry")
    curation_rule: CurationRule | None = Field(
        default=None, description="the rule (params curate.rule) that turned people's "
        "verdicts into `verdict`: single (the latest verdict), majority (of the reviewers; an "
        "adjudicator's verdict is final) or adjudicated (unanimous reviewers, else the "
        "adjudicator's verdict); null in releases built before this field")
    verdicts: tuple[RowVerdict, ...] = Field(
        default=(), description="every verdict the rule weighed: the latest of each reviewer "
        "and adjudicator (under single: the one verdict that counts); empty when unreviewed")

    @model_validator(mode="after")
    def _seed_or_text_to_image(self) -> Self:
        missing = [name for name in SEED_COLUMNS if getattr(self, name) is None]
        if self.operation == TEXT_TO_IMAGE:
            if len(missing) != len(SEED_COLUMNS) or self.source_url is not None:
                raise ValueError("a text-to-image row has no seed: every seed column ("
                                 + ", ".join(SEED_COLUMNS) + ") and source_url are null")
        elif missing:
            raise ValueError(f"{', '.join(missing)} null: only a text-to-image row (no seed "
                             "photograph) has null seed columns")
        return self

    @model_validator(mode="after")
    def _verdict_complete(self) -> Self:
        if (self.verdict is None) != (self.reviewer is None) or (
                self.verdict is None) != (self.decided_at is None):
            raise ValueError("verdict, reviewer and decided_at are all set or all null")
        if self.reviewer_qualification is not None and (
                self.reviewer is None or self.reviewer.startswith("auto:")):
            raise ValueError("reviewer_qualification is set only for a person's verdict")
        return self


class SeedRow(Record):
    """One seed's crop and mask as released (a row of ``seeds``; the images are columns)."""

    seed_id: SourceId = _doc("seed_id")
    condition: NonEmptyStr = _doc("condition")
    fitzpatrick: Fitzpatrick = _doc("fitzpatrick")
    fst_group: FstGroup = _doc("fst_group")
    rank: NonNegativeInt
    sampling: SamplingSpec
    source_dataset: NonEmptyStr = _doc("source_dataset")
    source_sha256: Sha256 = _doc("source_sha256")
    source_url: str | None = _doc("source_url")
    source_license: NonEmptyStr = _doc("source_license")
    crop_sha256: Sha256 = _doc("crop_sha256")
    crop_box: CropBox = _doc("crop_box")
    crop_method: NonEmptyStr = _doc("crop_method")
    crop_output_size: PositiveInt
    crop_params: dict[str, JsonValue] = Field(
        description="the crop parameters (a JSON object)")
    mask_sha256: Sha256 = _doc("mask_sha256")
    mask_method: NonEmptyStr = _doc("mask_method")
    mask_editable: NonEmptyStr
    mask_editable_fraction: float
    mask_params: dict[str, JsonValue] = Field(
        description="the mask parameters (a JSON object)")
    release_added: SemVer = _doc("release_added")


class Release(Record):
    """release.json: what a release is, what built it, and the sha256 of its files."""

    name: NonEmptyStr
    version: SemVer
    parent_version: SemVer | None
    created: AwareDatetime
    dermforge_version: NonEmptyStr
    git_revision: str | None = Field(
        description="the last git commit that touched the dermforge package source that built "
        "the release (suffixed '+dirty' when that source had uncommitted changes); not HEAD, "
        "which moves when the build's own outputs (dvc.lock) are committed; null when the "
        "code did not run from a git checkout")
    library_versions: dict[str, str] = Field(
        default_factory=dict,
        description="versions of python and of the libraries that shape the release's bytes "
        "(pillow, numpy, pyarrow, scikit-image, datasets, huggingface_hub) at build time")
    params: dict[str, JsonValue]
    counts: dict[str, NonNegativeInt] = Field(
        description="rows per config, and candidates per verdict (verdict_accept, …); "
        "`dermforge verify` recounts them from the shards")
    files: dict[str, Sha256] = Field(
        description="sha256 of every file of the release but release.json and MANIFEST.json "
        "(data shards, provenance.schema.json, README.md, croissant.json, CHANGELOG.md), by "
        "path")
    changelog: tuple[str, ...]
    evaluation: ReleaseEvaluation | None = Field(
        default=None, description="the reference evaluation attached by `dermforge attach` "
        "(its files are under validation/); null: the release is unvalidated")
    signing: ReleaseSigning | None = Field(
        default=None, description="how `dermforge sign` made this release from an unsigned "
        "one (the images' Content Credentials and the detached signature release.sig); "
        "null: the release is unsigned")
