"""release.json ``evaluation``: the reference evaluation attached to a release (`dermforge
attach`), summarised from its ``validation/metrics.json``; null when the release is
unvalidated."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from ._base import NonEmptyStr, Record, Sha256

__all__ = ["ReleaseEvaluation", "ReleaseSigning"]


class ReleaseEvaluation(Record):
    """What validated the release, and how its Table 2 compares with Sagers et al. 2022."""

    backbone: NonEmptyStr = Field(description="the frozen feature extractor (the paper: vgg16)")
    weights: NonEmptyStr = Field(description="the backbone's weights (id and digest)")
    comparable_to_paper: bool = Field(
        description="whether backbone and weights are the paper's (VGG16, ImageNet)")
    selection: NonEmptyStr = Field(description="how the training epoch was chosen")
    repeats: PositiveInt
    epochs: PositiveInt
    dtype: NonEmptyStr
    dtype_reason: str | None = Field(
        default=None, description="why this dtype (dtype auto decides by the hardware); null "
        "in evaluations made before it was recorded")
    device: str | None = Field(
        default=None, description="where the features were computed: cpu, cuda or mps; null "
        "in evaluations made before it was recorded")
    device_detail: str | None = Field(
        default=None, description="that device as probed (CPU capability and bf16/AMX flags, "
        "or the GPU's name); null in evaluations made before it was recorded")
    image_size: PositiveInt
    generators: tuple[str, ...] = Field(
        description="backend/model of the synthetic images the evaluation trained on")
    paper_cells: NonNegativeInt = Field(description="cells of the paper's Table 2")
    computed: NonNegativeInt = Field(description="of those, cells this evaluation computed")
    not_computable: NonNegativeInt
    intervals_overlap: NonNegativeInt = Field(
        description="computed cells whose 95% interval overlaps the paper's")
    direction_cells: NonNegativeInt = Field(
        description="computed augmented cells (seed, synthetic) with a baseline to compare")
    direction_agrees: NonNegativeInt = Field(
        description="of those, cells where 'augmented >= Fitzpatrick only' holds as in the "
        "paper")
    mean_abs_diff: float | None = Field(
        description="mean |ours - paper| accuracy over the computed cells; null if none")
    not_computable_conditions: dict[str, str] = Field(
        description="condition -> why the evaluation could not compute it")
    data_sha256: Sha256 = Field(
        description="sha256 of the release's data files as MANIFEST.json lists them (lines "
        "'<sha256>  <path>' sorted by path) when they were evaluated")
    files: tuple[str, ...] = Field(description="the validation/ files, by path")


class ReleaseSigning(Record):
    """release.json ``signing``: what `dermforge sign` did to make the distributable release
    (no key material: fingerprints only)."""

    unsigned_manifest_sha256: Sha256 = Field(
        description="sha256 of the MANIFEST.json of the unsigned (reproducible) release this "
        "one was signed from")
    unsigned_version: NonEmptyStr = Field(description="that release's version")
    unsigned_data_sha256: Sha256 | None = Field(
        default=None, description="the digest of that release's data/ files (as its "
        "MANIFEST.json listed them): what a validation attached before signing was computed "
        "on (`evaluation.data_sha256`); signing adds metadata, never pixels")
    certificate_sha256: Sha256 = Field(
        description="sha256 of the DER signing certificate of the images' Content "
        "Credentials (C2PA)")
    public_key_fingerprint: NonEmptyStr = Field(
        description="'sha256:' + sha256 of the DER public key that verifies release.sig")
    demo_key: bool = Field(
        default=False, description="signed with a throw-away demo key and certificate "
        "(`dermforge demo-keys`: subject O=dermforge demo), not the maintainer's")
    signature: NonEmptyStr = Field(description="the detached signature file (model-signing)")
    signature_method: Literal["key", "certificate"] = Field(
        default="key", description="model-signing's method: 'key' (verified with the public "
        "key) or 'certificate' (the signing certificate chain is in release.sig; verified "
        "against the CA)")
    images: NonNegativeInt = Field(description="synthetic and candidates images marked")
    images_signed: NonNegativeInt = Field(
        description="images signed by this run (new or changed since a cached signing)")
    images_reused: NonNegativeInt = Field(
        description="images whose signed bytes were re-used from an earlier signing")
    c2pa_python: NonEmptyStr = Field(description="the c2pa-python version that signed")
    model_signing: NonEmptyStr = Field(description="the model-signing version that signed")
