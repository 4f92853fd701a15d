"""Accuracy as the paper reports it, with its 95% normal-approximation interval.

Table 2's accuracy of condition c in skin-type group g is the share of c's test images in g
that the model predicts as c; its interval is p ± 1.96·sqrt(p(1−p)/N) (e.g. 0.175 with N = 177
→ 0.12–0.23). With several repeats the mean accuracy is reported with the standard deviation
across repeats and the same interval around the mean.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Z95", "CellAccuracy", "cell_accuracy", "normal_interval", "summarize"]

#: The two-sided 95% normal quantile the paper's intervals use.
Z95 = 1.96


def normal_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """p ± z·sqrt(p(1−p)/n), clipped to [0, 1]."""
    if n <= 0:
        raise ValueError(f"an interval needs at least one image, got n={n}")
    half = z * math.sqrt(p * (1.0 - p) / n)
    return max(0.0, p - half), min(1.0, p + half)


@dataclass(frozen=True)
class CellAccuracy:
    """One table cell: accuracy over ``n`` images (mean over ``repeats`` runs)."""

    n: int
    accuracy: float
    low: float
    high: float
    repeats: int
    sd: float  # standard deviation across repeats (0 with one repeat)
    per_repeat: tuple[float, ...]

    def to_json(self) -> dict[str, object]:
        return {"n": self.n, "accuracy": self.accuracy, "low": self.low, "high": self.high,
                "repeats": self.repeats, "sd": self.sd, "per_repeat": list(self.per_repeat)}


def cell_accuracy(
    condition_index: int, members: Sequence[str], predictions: Mapping[str, int]
) -> float:
    """Share of ``members`` (test images of one condition and group) predicted as it."""
    hits = sum(1 for item in members if predictions[item] == condition_index)
    return hits / len(members)


def summarize(n: int, per_repeat: Sequence[float]) -> CellAccuracy:
    mean = statistics.fmean(per_repeat)
    low, high = normal_interval(mean, n)
    sd = statistics.stdev(per_repeat) if len(per_repeat) > 1 else 0.0
    return CellAccuracy(n=n, accuracy=mean, low=low, high=high, repeats=len(per_repeat),
                        sd=sd, per_repeat=tuple(per_repeat))
