"""Records of curation: a reviewer's verdict on one candidate."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from ._base import NonEmptyStr, Record, Score

__all__ = ["CurationVerdict"]


class CurationVerdict(Record):
    """One decision; the verdict log is append-only and the latest per candidate wins."""

    candidate_id: NonEmptyStr
    decision: Literal["accept", "reject", "undecided"]
    reason_codes: tuple[NonEmptyStr, ...] = ()
    photorealism: Score | None = None
    consistency: Score | None = Field(default=None, description="pathophysiologic consistency")
    reviewer: NonEmptyStr = Field(description="pseudonym; automatic policies are 'auto:<name>'")
    decided_at: AwareDatetime
    note: str = ""
