"""The numbers Sagers et al. 2022 print, typed in once from the paper (../shared/reference).

Everything that compares dermforge's output with the paper reads them from here.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from ._references import SAGERS_2022

__all__ = [
    "AUGMENTED_CONDITIONS",
    "PAPER_ARMS",
    "PAPER_CITATION",
    "PAPER_CONDITIONS",
    "PAPER_SEEDS_PER_GROUP",
    "PAPER_SPILLOVER",
    "PAPER_TABLE1",
    "PAPER_TABLE2",
    "PAPER_TABLE2_N",
    "PAPER_TABLE2_NOTES",
    "PAPER_TABLE3",
    "PAPER_TABLE3_DOSES",
    "PaperAccuracy",
]

#: The seven Fitzpatrick 17k labels of the paper's Table 1, in its column order.
PAPER_CONDITIONS: Final[tuple[str, ...]] = (
    "basal cell carcinoma",
    "folliculitis",
    "nematode infection",
    "neutrophilic dermatoses",
    "prurigo nodularis",
    "psoriasis",
    "squamous cell carcinoma",
)

#: The three conditions the paper augments with synthetic images (§2.4).
AUGMENTED_CONDITIONS: Final[tuple[str, ...]] = (
    "neutrophilic dermatoses",
    "psoriasis",
    "squamous cell carcinoma",
)

#: Table 1: sample sizes by Fitzpatrick skin type (rows I..VI) and condition (columns as
#: PAPER_CONDITIONS). Row and column totals are derived, not typed.
PAPER_TABLE1: Final[dict[str, tuple[int, ...]]] = {
    "I": (85, 30, 15, 70, 7, 113, 100),
    "II": (156, 97, 56, 115, 28, 232, 180),
    "III": (112, 99, 79, 68, 39, 101, 122),
    "IV": (76, 51, 60, 51, 56, 91, 71),
    "V": (24, 31, 32, 31, 29, 64, 40),
    "VI": (7, 9, 12, 15, 9, 21, 23),
}
#: The totals row and grand total as printed (used to check the typing above).
PAPER_TABLE1_TOTALS: Final[tuple[int, ...]] = (460, 317, 254, 350, 168, 622, 536, 2707)

#: Seeds sampled per condition from each end of the skin-type scale (§2.3).
PAPER_SEEDS_PER_GROUP: Final[int] = 8

#: Test-set sizes: the N column of Table 2 (and, for basal cell carcinoma, the N quoted in §3.3
#: from Supplementary Table 1), as ``condition → training group → test group → N``.
PAPER_TABLE2_N: Final[dict[str, dict[str, dict[str, int]]]] = {
    "neutrophilic dermatoses": {"I-II": {"III-IV": 119, "V-VI": 37},
                                "V-VI": {"I-II": 177, "III-IV": 119}},
    "psoriasis": {"I-II": {"III-IV": 192, "V-VI": 77},
                  "V-VI": {"I-II": 337, "III-IV": 192}},
    "squamous cell carcinoma": {"I-II": {"III-IV": 193, "V-VI": 55},
                                "V-VI": {"I-II": 272, "III-IV": 193}},
    "basal cell carcinoma": {"V-VI": {"I-II": 241, "III-IV": 188}},
}

#: Where the CSV and the paper's printed N disagree, and why (keyed like PAPER_TABLE2_N).
PAPER_TABLE2_NOTES: Final[dict[tuple[str, str, str], str]] = {
    ("neutrophilic dermatoses", "I-II", "V-VI"): (
        "the paper prints N = 37, one image fewer than the CSV holds: Table 1 lists 31 + 15 = 46 "
        "neutrophilic dermatoses images of FST V-VI, and removing the 8 seeds leaves 38 "
        "(Table 3 repeats 37). The paper does not say which image was dropped; dermforge keeps "
        "all 38."
    ),
}

class PaperAccuracy(NamedTuple):
    """An accuracy as printed: value (3 decimals) and its 95% interval (2 decimals)."""

    value: float
    low: float
    high: float


_A = PaperAccuracy

#: The three training arms of Table 2, in its column order (Figure 3's legend names).
PAPER_ARMS: Final[tuple[str, ...]] = ("fitz_only", "seed", "dalle_and_seed")

#: Table 2: accuracy (95% CI) as ``condition → training group → test group → (Fitzpatrick,
#: +Seed, +DALL·E 2 & Seed)``; the N of each cell is PAPER_TABLE2_N (same keys).
PAPER_TABLE2: Final[dict[str, dict[str, dict[str, tuple[PaperAccuracy, ...]]]]] = {
    "neutrophilic dermatoses": {
        "I-II": {"III-IV": (_A(0.311, 0.23, 0.39), _A(0.395, 0.31, 0.48), _A(0.411, 0.32, 0.50)),
                 "V-VI": (_A(0.243, 0.10, 0.38), _A(0.594, 0.44, 0.75), _A(0.675, 0.52, 0.83))},
        "V-VI": {"I-II": (_A(0.175, 0.12, 0.23), _A(0.310, 0.24, 0.38), _A(0.610, 0.54, 0.68)),
                 "III-IV": (_A(0.311, 0.23, 0.39), _A(0.378, 0.29, 0.47), _A(0.571, 0.48, 0.66))},
    },
    "psoriasis": {
        "I-II": {"III-IV": (_A(0.495, 0.42, 0.57), _A(0.557, 0.48, 0.63), _A(0.573, 0.50, 0.64)),
                 "V-VI": (_A(0.753, 0.66, 0.85), _A(0.857, 0.78, 0.94), _A(0.857, 0.78, 0.94))},
        "V-VI": {"I-II": (_A(0.249, 0.20, 0.29), _A(0.359, 0.31, 0.41), _A(0.504, 0.45, 0.55)),
                 "III-IV": (_A(0.255, 0.19, 0.31), _A(0.370, 0.30, 0.44), _A(0.463, 0.39, 0.53))},
    },
    "squamous cell carcinoma": {
        "I-II": {"III-IV": (_A(0.492, 0.42, 0.56), _A(0.487, 0.42, 0.56), _A(0.461, 0.39, 0.53)),
                 "V-VI": (_A(0.545, 0.41, 0.68), _A(0.618, 0.49, 0.75), _A(0.691, 0.57, 0.81))},
        "V-VI": {"I-II": (_A(0.272, 0.22, 0.32), _A(0.349, 0.29, 0.41), _A(0.577, 0.52, 0.64)),
                 "III-IV": (_A(0.389, 0.32, 0.46), _A(0.430, 0.36, 0.50), _A(0.461, 0.39, 0.53))},
    },
}

#: Table 3's columns: synthetic images added (with the 8 seeds) when training on FST I-II.
PAPER_TABLE3_DOSES: Final[tuple[int, ...]] = (2, 8, 16, 32)

#: Table 3: accuracy (2 decimals, no intervals) by doses PAPER_TABLE3_DOSES, as
#: ``condition → training group → test group → values``. The paper shows training on I-II only.
PAPER_TABLE3: Final[dict[str, dict[str, dict[str, tuple[float, ...]]]]] = {
    "neutrophilic dermatoses": {"I-II": {"III-IV": (0.37, 0.34, 0.39, 0.45),
                                         "V-VI": (0.29, 0.29, 0.58, 0.68)}},
    "psoriasis": {"I-II": {"III-IV": (0.49, 0.56, 0.56, 0.51),
                           "V-VI": (0.78, 0.82, 0.83, 0.86)}},
    "squamous cell carcinoma": {"I-II": {"III-IV": (0.44, 0.43, 0.50, 0.46),
                                         "V-VI": (0.56, 0.53, 0.60, 0.69)}},
}

#: §3.3 spillover: accuracy of a non-augmented class before (Fitzpatrick only) and after
#: (+DALL·E 2 & Seed) augmenting another, as ``(augmented condition, training group, class,
#: test group) → (before, after)``; the N is PAPER_TABLE2_N[class][training group][test group].
PAPER_SPILLOVER: Final[dict[tuple[str, str, str, str], tuple[float, float]]] = {
    ("squamous cell carcinoma", "V-VI", "basal cell carcinoma", "I-II"): (0.664, 0.307),
    ("squamous cell carcinoma", "V-VI", "basal cell carcinoma", "III-IV"): (0.681, 0.505),
}

#: The short citation (the one place: :mod:`dermforge._references`).
PAPER_CITATION: Final[str] = SAGERS_2022.text()
