"""Records of curation: a reviewer's verdict on one candidate."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AwareDatetime, Field, NonNegativeInt, model_validator

from ._base import (
    QUALIFICATIONS,
    FstGroup,
    NonEmptyStr,
    Qualification,
    Record,
    Score,
    Sha256,
    SourceId,
)

__all__ = ["CURATION_RULES", "Assignment", "CandidateSignals", "CurationRule", "CurationVerdict",
           "ReviewerEvent", "ReviewerRole", "SignalFlag", "StudyAnswer"]

#: what a verdict's author acts as: one of several readers, or the one whose word is final
ReviewerRole = Literal["reviewer", "adjudicator"]
#: how people's verdicts on one candidate make its final decision (params: curate.rule)
CurationRule = Literal["single", "majority", "adjudicated"]
CURATION_RULES: tuple[CurationRule, ...] = ("single", "majority", "adjudicated")

SignalFlag = Literal[
    "skin-tone-shift", "fst-group-change", "seed-copy", "test-leak", "seed-test-duplicate",
    "blurry",
]


class CurationVerdict(Record):
    """One decision on one candidate.

    People's verdicts go to the append-only human log (records/verdicts.jsonl), the automatic
    policy's to its own log (records/auto_verdicts.jsonl). A person's verdict always outranks
    the policy's; within one log the latest line per candidate wins.
    """

    candidate_id: NonEmptyStr
    decision: Literal["accept", "reject", "undecided"]
    reason_codes: tuple[NonEmptyStr, ...] = ()
    photorealism: Score | None = None
    consistency: Score | None = Field(default=None, description="pathophysiologic consistency")
    reviewer: NonEmptyStr = Field(
        description="pseudonym of a person; automatic policies are 'auto:<name>', a prefix no "
        "person may use")
    decided_at: AwareDatetime
    note: str = ""
    reviewer_qualification: Qualification | None = Field(
        default=None, description="what the reviewer stated about themselves: one of "
        + ", ".join(QUALIFICATIONS) + "; null = not stated (always null for an automatic "
        "policy)")
    role: ReviewerRole = Field(
        default="reviewer", description="'reviewer' (one of possibly several readers) or "
        "'adjudicator' (settles a disagreement; final under the rules majority and "
        "adjudicated); lines written before this field are reviewers'")

    @model_validator(mode="after")
    def _policies_have_no_qualification(self) -> Self:
        if self.reviewer_qualification is not None and self.reviewer.startswith("auto:"):
            raise ValueError(f"reviewer {self.reviewer!r} is an automatic policy; it cannot "
                             f"have the qualification {self.reviewer_qualification!r}")
        if self.role == "adjudicator" and self.reviewer.startswith("auto:"):
            raise ValueError(f"reviewer {self.reviewer!r} is an automatic policy; it cannot "
                             "adjudicate")
        return self


class ReviewerEvent(Record):
    """One line of records/reviewers.jsonl (append-only): a reviewer profile added, or its
    token revoked. Only the sha256 of a token is ever stored."""

    event: Literal["add", "revoke"]
    name: NonEmptyStr = Field(description="the pseudonym every verdict of this person carries")
    qualification: Qualification = Field(
        description="what the reviewer stated about themselves: one of "
        + ", ".join(QUALIFICATIONS))
    role: ReviewerRole = Field(default="reviewer", description="'adjudicator' may settle "
                               "disagreements (the workbench's /adjudicate page)")
    token_sha256: Sha256 = Field(description="sha256 of the reviewer's token (hex)")
    at: AwareDatetime = Field(description="when the profile was added or revoked")


class Assignment(Record):
    """One line of records/assignments.jsonl: a candidate in one reviewer's queue."""

    candidate_id: NonEmptyStr
    reviewer: NonEmptyStr = Field(description="a reviewer profile's name")


class CandidateSignals(Record):
    """Advisory measurements of one candidate, to help a reviewer; never a verdict.

    ITA is the individual typology angle of the non-lesion skin (degrees, CIELAB);
    distances are Hamming distances between perceptual hashes (0 = same picture).
    """

    candidate_id: NonEmptyStr
    candidate_sha256: Sha256
    seed_id: SourceId
    crop_sha256: Sha256 = Field(description="the seed crop the candidate was made from")
    mask_sha256: Sha256 | None
    skin_region: Literal["outside-shape", "whole-image"] = Field(
        description="pixels whose ITA is measured: outside the mask's shape (the shape holds "
        "the lesion), or the whole image when there is no mask or nothing is outside it")
    skin_fraction: float = Field(ge=0.0, le=1.0)
    ita: float = Field(ge=-90.0, le=90.0)
    ita_group: FstGroup = Field(description="skin-type group the candidate's ITA implies")
    seed_ita: float = Field(ge=-90.0, le=90.0)
    seed_ita_group: FstGroup
    ita_delta: float = Field(description="ita - seed_ita")
    seed_distance: NonNegativeInt = Field(description="hash distance to the seed crop")
    seed_difference: float = Field(
        ge=0.0, description="mean absolute grey difference (0-255) to the seed crop")
    nearest_test_id: SourceId | None = Field(
        description="the test-split image nearest to the candidate; None when none was compared")
    nearest_test_distance: NonNegativeInt | None
    seed_source_test_id: SourceId | None = Field(
        description="the test-split image nearest to the seed's whole source image")
    seed_source_test_distance: NonNegativeInt | None
    test_images_compared: NonNegativeInt
    test_images_missing: NonNegativeInt = Field(
        description="test-split images whose bytes are not in the workspace (not compared)")
    sharpness: float = Field(
        ge=0.0, description="variance of the Laplacian of the standardised grey image")
    seed_sharpness: float = Field(ge=0.0)
    flags: tuple[SignalFlag, ...] = ()
    hash_method: NonEmptyStr
    params_sha256: Sha256 = Field(description="sha256 of the signals parameters used")
    test_set_sha256: Sha256 = Field(description="sha256 of the sorted test-image hashes used")


class StudyAnswer(Record):
    """One reader's real-or-synthetic guess on one blinded image of the reader study."""

    reader: NonEmptyStr = Field(description="pseudonym")
    item_id: NonEmptyStr = Field(description="the blinded id the reader saw")
    image_sha256: Sha256
    truth: Literal["real", "synthetic"]
    guess: Literal["real", "synthetic"]
    seed_id: SourceId
    candidate_id: NonEmptyStr | None = Field(description="None for a real seed crop")
    position: NonNegativeInt = Field(description="0-based place in the reader's order")
    answered_at: AwareDatetime
