"""The `signals` section of params.yaml: thresholds of the advisory quality signals.

Every threshold only raises a flag for the reviewer to look at; none decides anything.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from .._params import Params

__all__ = ["SignalsParams"]


class SignalsParams(Params):
    """Defaults are documented in ``_signals`` (ITA categories of Chardon et al. 1991 and
    Del Bino et al. 2006; perceptual-hash distances measured on the demo images)."""

    measure_size: int = Field(
        default=256, ge=32, le=2048,
        description="side (px) images are resized to before ITA and sharpness are measured")
    hash_size: int = Field(default=8, ge=4, le=32,
                           description="perceptual hash of hash_size² bits (imagehash.phash)")
    ita_min_i_ii: float = Field(
        default=41.0, description="ITA above this (very light, light) implies FST I-II")
    ita_min_iii_iv: float = Field(
        default=10.0, description="ITA above this (intermediate, tan) implies FST III-IV; "
        "at or below it (brown, dark) V-VI")
    max_ita_delta: float = Field(
        default=10.0, gt=0.0, description="|candidate ITA - seed ITA| above this: skin-tone-shift")
    seed_copy_max_difference: float = Field(
        default=1.0, ge=0.0,
        description="mean absolute grey difference (0-255) to the seed crop at or below this: "
        "seed-copy")
    leak_max_distance: int = Field(
        default=6, ge=0,
        description="hash distance to a test-split image at or below this: test-leak")
    min_sharpness_ratio: float = Field(
        default=0.5, gt=0.0,
        description="candidate sharpness below this fraction of the seed's: blurry")

    @model_validator(mode="after")
    def _ordered_bounds(self) -> Self:
        if self.ita_min_i_ii <= self.ita_min_iii_iv:
            raise ValueError(f"ita_min_i_ii ({self.ita_min_i_ii}) must be greater than "
                             f"ita_min_iii_iv ({self.ita_min_iii_iv})")
        return self
