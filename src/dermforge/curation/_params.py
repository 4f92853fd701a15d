"""The `curate` section of params.yaml."""

from __future__ import annotations

from pydantic import Field

from .._params import Params
from ..schemas import CurationRule

__all__ = ["DEFAULT_KEEP_PER_SEED", "CurateParams"]

DEFAULT_KEEP_PER_SEED = 4


class CurateParams(Params):
    """How many candidates per seed may be accepted, and the demo's automatic policy."""

    keep_per_seed: int = Field(
        default=DEFAULT_KEEP_PER_SEED, ge=1,
        description="most accepted candidates per seed (the paper keeps 4 of about 8)",
    )
    policy: str = Field(default="first-k", description="automatic policy of `curate auto`")
    rule: CurationRule = Field(
        default="single",
        description="how people's verdicts make a candidate's final decision: single (the "
        "latest verdict of anyone), majority (strict majority of the reviewers' accept/reject; "
        "a tie waits for an adjudicator) or adjudicated (unanimous reviewers decide, else the "
        "adjudicator); under majority and adjudicated an adjudicator's verdict is final")
