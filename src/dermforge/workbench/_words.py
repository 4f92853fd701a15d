"""The candidate signals in plain words: the text a reviewer reads on the cards, in the legend
and in the index's flag filter (the flag codes stay as secondary detail)."""

from __future__ import annotations

__all__ = ["FLAG_HELP", "FLAG_WORDS"]

#: every signal flag (``curation._signals.signal_flags``) in plain words
FLAG_WORDS: dict[str, str] = {
    "skin-tone-shift": "skin tone differs from the seed",
    "fst-group-change": "skin type group differs from the seed",
    "seed-copy": "almost a copy of the seed",
    "test-leak": "looks like a test image",
    "seed-test-duplicate": "the seed itself looks like a test image",
    "blurry": "blurrier than the seed",
}

#: what raised each flag, for the legend
FLAG_HELP: dict[str, str] = {
    "skin-tone-shift": "the skin outside the lesion is lighter or darker than the seed's by more "
                       "than the allowed ITA difference (signals.max_ita_delta)",
    "fst-group-change": "the skin tone measured on the candidate falls into another skin-type "
                        "group (I-II, III-IV, V-VI) than the seed's",
    "seed-copy": "the candidate barely differs from the seed crop (mean grey difference at or "
                 "below signals.seed_copy_max_difference): nothing was synthesised",
    "test-leak": "the candidate is perceptually near an image of the experiments' test splits: "
                 "keeping it would leak test data into training",
    "seed-test-duplicate": "the seed's own photograph is near a test-split image (a duplicate in "
                           "the source dataset), so every candidate of it inherits the leak",
    "blurry": "the candidate's sharpness is below signals.min_sharpness_ratio of the "
              "seed's",
}
