"""Shared field types and the strict base class of every record."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "EXPERT_QUALIFICATIONS",
    "FIELD_DOCS",
    "FST_GROUPS",
    "QUALIFICATIONS",
    "Fitzpatrick",
    "FstGroup",
    "Md5",
    "NonEmptyStr",
    "Qualification",
    "Record",
    "Score",
    "SemVer",
    "Sha256",
    "SourceId",
    "canonical_json",
    "fst_group",
    "sha256_of_canonical",
]


def _hex_digest(length: int, name: str) -> AfterValidator:
    digest = re.compile(f"[0-9a-f]{{{length}}}")  # twice as fast as a set: builds check 100ks

    def check(value: str) -> str:
        if not digest.fullmatch(value):
            raise ValueError(
                f"expected a {name} ({length} lowercase hex characters), got {value!r}"
            )
        return value

    return AfterValidator(check)


Sha256 = Annotated[str, _hex_digest(64, "sha256 digest")]
Md5 = Annotated[str, _hex_digest(32, "md5 digest")]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
SourceId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=128)
]
Fitzpatrick = Annotated[int, Field(ge=1, le=6)]
Score = Annotated[int, Field(ge=1, le=5)]
SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]

FstGroup = Literal["I-II", "III-IV", "V-VI"]

Qualification = Literal["dermatologist", "resident", "other clinician", "non-clinician"]
#: what a reviewer may state about themselves, recorded with each of their verdicts; the
#: workbench, the CSV import and the card use exactly this vocabulary (None = not stated)
QUALIFICATIONS: tuple[Qualification, ...] = (
    "dermatologist", "resident", "other clinician", "non-clinician")
#: the qualifications whose verdicts make a release's annotations "expert-generated"
EXPERT_QUALIFICATIONS: frozenset[str] = frozenset({"dermatologist", "resident"})
FST_GROUPS: dict[FstGroup, tuple[int, ...]] = {
    "I-II": (1, 2),
    "III-IV": (3, 4),
    "V-VI": (5, 6),
}


#: how the seed columns of synthetic / candidates rows say that text-to-image has no seed
_NO_SEED = ("; null in synthetic and candidates for a text-to-image image (no seed "
            "photograph)")
#: descriptions of the fields every release config shares, so a name means one thing
FIELD_DOCS: dict[str, str] = {
    "condition": "diagnosis label of the real source image (Fitzpatrick 17k's label); for a "
                 "synthetic image, its seed's label, which the prompt asks for (for a "
                 "text-to-image image, with no seed, the label its maker stated)",
    "fitzpatrick": "Fitzpatrick skin type (1-6) of the real source image: the row's own image "
                   "(experiments, seeds), or the seed a synthetic image derives from "
                   "(synthetic, candidates), the skin type its prompt asks for (for a "
                   "text-to-image image, with no seed, the type its maker stated)",
    "fst_group": "the paper's skin-type group (I-II, III-IV, V-VI) of `fitzpatrick`",
    "seed_id": "source id of the real seed image" + _NO_SEED,
    "source_dataset": "the dataset the real source image comes from" + _NO_SEED,
    "source_sha256": "sha256 of the real source image's bytes as stored (the whole image, "
                     "before cropping)" + _NO_SEED,
    "source_url": "where the real source image was published; null when not known",
    "source_license": "licence of the real source image" + _NO_SEED,
    "crop_box": "the square cut from the source image (pixels)" + _NO_SEED,
    "crop_method": "how the crop was chosen" + _NO_SEED,
    "crop_sha256": "sha256 of the square crop given to the generator" + _NO_SEED,
    "mask_method": "how the inpainting mask was made" + _NO_SEED,
    "mask_sha256": "sha256 of the inpainting mask (alpha 0 = regenerated)" + _NO_SEED,
    "release_added": "first release whose same config held this row (an image in synthetic "
                     "or candidates, a seed's crop and mask in seeds), as known from the "
                     "previous release",
}


def fst_group(fitzpatrick: int) -> FstGroup:
    """The paper's three skin-type groups: 1-2 → I-II, 3-4 → III-IV, 5-6 → V-VI."""
    for group, members in FST_GROUPS.items():
        if fitzpatrick in members:
            return group
    raise ValueError(f"Fitzpatrick skin type must be 1..6, got {fitzpatrick!r}")


#: what ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
#: makes on every call (made once: a build encodes a few JSON objects per row)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no whitespace, UTF-8 characters kept."""
    return _CANONICAL.encode(value)


def sha256_of_canonical(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


class Record(BaseModel):
    """Base of every record: strict types, unknown fields rejected, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @classmethod
    def record_name(cls) -> str:
        """snake_case name of the record type, e.g. ``generation_request``."""
        return _SNAKE.sub("_", cls.__name__).lower()
