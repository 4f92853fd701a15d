"""Shared field types and the strict base class of every record."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "FST_GROUPS",
    "Fitzpatrick",
    "FstGroup",
    "Md5",
    "NonEmptyStr",
    "Record",
    "Score",
    "SemVer",
    "Sha256",
    "SourceId",
    "canonical_json",
    "fst_group",
    "sha256_of_canonical",
]

_HEX = frozenset("0123456789abcdef")


def _hex_digest(length: int, name: str) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) != length or not set(value) <= _HEX:
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
FST_GROUPS: dict[FstGroup, tuple[int, ...]] = {
    "I-II": (1, 2),
    "III-IV": (3, 4),
    "V-VI": (5, 6),
}


def fst_group(fitzpatrick: int) -> FstGroup:
    """The paper's three skin-type groups: 1-2 → I-II, 3-4 → III-IV, 5-6 → V-VI."""
    for group, members in FST_GROUPS.items():
        if fitzpatrick in members:
            return group
    raise ValueError(f"Fitzpatrick skin type must be 1..6, got {fitzpatrick!r}")


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no whitespace, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
