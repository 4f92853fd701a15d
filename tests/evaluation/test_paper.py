"""The paper's numbers in dermforge._paper against the paper's own arithmetic and the splits."""

from __future__ import annotations

import pytest

from dermforge._paper import (
    PAPER_SPILLOVER,
    PAPER_TABLE2,
    PAPER_TABLE2_N,
    PAPER_TABLE2_NOTES,
    PAPER_TABLE3,
    PAPER_TABLE3_DOSES,
)
from dermforge.evaluation import normal_interval
from dermforge.sampling import count_splits, paper_splits

#: Cells whose printed interval differs from the rounded formula by one unit in the last
#: digit (the printed bound matches truncation instead of rounding, e.g. 0.2952 → 0.29).
KNOWN_OFF_BY_ONE = {
    ("psoriasis", "V-VI", "I-II", 0),  # 0.249, N 337: formula 0.2028-0.2952, printed 0.20-0.29
    ("psoriasis", "V-VI", "I-II", 2),  # 0.504, N 337: formula 0.4506-0.5574, printed 0.45-0.55
    ("psoriasis", "I-II", "III-IV", 1),  # 0.557, N 192: formula 0.4867-0.6273, printed 0.48-0.63
    ("psoriasis", "V-VI", "III-IV", 0),  # 0.255, N 192: formula 0.1933-0.3167, printed 0.19-0.31
}


def _cells():  # type: ignore[no-untyped-def]
    for condition, by_train in PAPER_TABLE2.items():
        for train, by_test in by_train.items():
            for test, values in by_test.items():
                for arm, value in enumerate(values):
                    n = PAPER_TABLE2_N[condition][train][test]
                    yield (condition, train, test, arm), value, n


def test_the_normal_interval_reproduces_the_printed_intervals() -> None:
    exact, off = 0, []
    for key, printed, n in _cells():
        low, high = normal_interval(printed.value, n)
        if (round(low, 2), round(high, 2)) == (printed.low, printed.high):
            exact += 1
        else:
            assert abs(low - printed.low) <= 0.01 and abs(high - printed.high) <= 0.01, key
            off.append(key)
    assert set(off) == KNOWN_OFF_BY_ONE
    assert exact == 36 - len(KNOWN_OFF_BY_ONE)


def test_the_interval_of_the_recipe_example() -> None:
    low, high = normal_interval(0.175, 177)
    assert (round(low, 2), round(high, 2)) == (0.12, 0.23)
    assert normal_interval(0.0, 10) == (0.0, 0.0)
    assert normal_interval(1.0, 10) == (1.0, 1.0)
    with pytest.raises(ValueError, match="at least one image"):
        normal_interval(0.5, 0)


def test_the_printed_accuracies_are_counts_over_the_printed_n() -> None:
    """Every printed accuracy is some k/N rounded or truncated to 3 decimals (the paper does
    both), so the N typed beside each accuracy is consistent with it."""
    for key, printed, n in _cells():
        shown = {f(k / n) for k in range(n + 1)
                 for f in (lambda x: round(x, 3), lambda x: int(x * 1000) / 1000)}
        assert any(abs(value - printed.value) < 1e-9 for value in shown), key


def test_table2_n_against_the_n_computed_by_the_splits(catalog) -> None:  # type: ignore[no-untyped-def]
    counts = count_splits(paper_splits(catalog)[1])
    for condition, by_train in PAPER_TABLE2_N.items():
        for train, by_test in by_train.items():
            for test, printed in by_test.items():
                computed = counts.test_n(train, condition, test)  # type: ignore[arg-type]
                if (condition, train, test) in PAPER_TABLE2_NOTES:
                    assert computed == printed + 1
                else:
                    assert computed == printed, (condition, train, test)


def test_every_table_is_keyed_like_table2_n() -> None:
    for condition, by_train in PAPER_TABLE2.items():
        for train, by_test in by_train.items():
            assert set(by_test) == set(PAPER_TABLE2_N[condition][train])
            assert all(len(values) == 3 for values in by_test.values())
    for condition, by_train in PAPER_TABLE3.items():
        for train, by_test in by_train.items():
            assert set(by_test) == set(PAPER_TABLE2_N[condition][train])
            assert all(len(values) == len(PAPER_TABLE3_DOSES) for values in by_test.values())
    for (_augmented, train, klass, test), (before, after) in PAPER_SPILLOVER.items():
        assert test in PAPER_TABLE2_N[klass][train]
        assert 0 < after < before < 1
