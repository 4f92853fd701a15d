"""One row of an import source (a sidecar or a CSV row), checked field by field.

A row names the seed its image was made from (``source_id``), or, for a text-to-image image
with no seed photograph, states the ``condition`` and ``fitzpatrick`` type (1-6) the image is
meant to show — never both, never neither (:func:`seed_or_text_to_image`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from datetime import date as Date

import pydantic

from ..errors import InputError

__all__ = ["ImportRow", "seed_or_text_to_image"]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class ImportRow(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    #: None for a text-to-image image (no seed photograph): then condition + fitzpatrick
    source_id: str | None = None
    condition: str | None = None
    fitzpatrick: int | None = None
    #: optional where the image's own metadata states it (see _embedded); the row wins
    prompt: str | None = pydantic.Field(default=None, min_length=1)
    model: str | None = pydantic.Field(default=None, min_length=1)
    date: datetime
    operator: str = pydantic.Field(min_length=1)
    #: optional: the IPTC digital source type the maker states (term or NewsCodes URI); the
    #: signed release's XMP label and C2PA assertion use it instead of the default by operation
    digital_source_type: str | None = None

    @pydantic.field_validator("fitzpatrick", mode="before")
    @classmethod
    def _skin_type(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if isinstance(value, bool) or text not in {"1", "2", "3", "4", "5", "6"}:
            raise ValueError(f"{value!r} is not a Fitzpatrick skin type; use a whole number "
                             "from 1 to 6 (the type the image is meant to show)")
        return int(text)

    @pydantic.field_validator("source_id", "condition", "prompt", "model", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @pydantic.field_validator("digital_source_type", mode="before")
    @classmethod
    def _source_type(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # an empty CSV cell: not stated
        from ..signing._xmp import SOURCE_TYPES, parse_source_type
        try:
            return parse_source_type(str(value))
        except InputError:
            raise ValueError(f"{value!r} is not a synthetic digital source type; use one of "
                             f"{', '.join(SOURCE_TYPES)} or its IPTC NewsCodes URI") from None

    @pydantic.field_validator("date", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        """A bare YYYY-MM-DD is that day at 00:00 UTC."""
        if isinstance(value, str) and _DAY.fullmatch(value.strip()):
            return datetime.combine(Date.fromisoformat(value.strip()), time(0, 0), tzinfo=UTC)
        return value

    @pydantic.field_validator("date")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("a date-time needs a time zone (e.g. 2022-08-15T10:00:00Z)")
        return value.astimezone(UTC)


def seed_or_text_to_image(row: ImportRow) -> str | None:
    """A row names a seed (``source_id``) or is text-to-image (``condition`` and
    ``fitzpatrick``, no seed photograph) — never both, never neither."""
    stated = [name for name in ("condition", "fitzpatrick") if getattr(row, name) is not None]
    if row.source_id is not None and stated:
        return (f"field {stated[0]!r}: given together with source_id {row.source_id!r}; an "
                "image made from a seed takes its condition and skin type from the seed. "
                "Leave condition and fitzpatrick empty, or leave source_id empty for a "
                "text-to-image image (no seed photograph)")
    if row.source_id is None and len(stated) < 2:
        missing = "fitzpatrick" if stated else "source_id"
        return (f"field {missing!r}: empty; name the seed the image was made from "
                "(source_id), or, for a text-to-image image with no seed photograph, state "
                "the condition and the fitzpatrick type (1-6) it is meant to show")
    return None
