"""The bundled CSV: sha256-verified, validated, and equal to the paper's Table 1 cell for cell."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dermforge import PAPER_CONDITIONS, PAPER_TABLE1
from dermforge._paper import PAPER_TABLE1_TOTALS
from dermforge.errors import InputError, IntegrityError, RecordError
from dermforge.sources import (
    BUNDLED_CSV_SHA256,
    _catalog,
    bundled_csv_path,
    load_catalog,
    parse_catalog,
    summarize,
    table1,
)

HEADER = ("md5hash,fitzpatrick_scale,fitzpatrick_centaur,label,nine_partition_label,"
          "three_partition_label,qc,url,url_alphanum\n")
GOOD = ("5e82a45bc5d78bd24ae9202d194423f8,3,3,psoriasis,inflammatory,non-neoplastic,,"
        "https://example.org/a.jpg,a\n")


def test_bundled_csv_loads_with_every_row(catalog) -> None:  # type: ignore[no-untyped-def]
    assert len(catalog) == 16577
    assert len(catalog.labels()) == 114
    assert catalog.sha256 == BUNDLED_CSV_SHA256


def test_typed_paper_table1_is_consistent_with_its_printed_totals() -> None:
    columns = list(zip(*PAPER_TABLE1.values(), strict=True))
    assert [sum(c) for c in columns] == list(PAPER_TABLE1_TOTALS[:-1])
    assert sum(map(sum, PAPER_TABLE1.values())) == PAPER_TABLE1_TOTALS[-1] == 2707


def test_table1_equals_the_paper_cell_for_cell(catalog) -> None:  # type: ignore[no-untyped-def]
    table = table1(catalog)
    assert table.columns == (*(c.title() for c in PAPER_CONDITIONS), "Total")
    for roman, paper_row in PAPER_TABLE1.items():
        for condition, expected in zip(PAPER_CONDITIONS, paper_row, strict=True):
            assert table.cell(roman, condition.title()) == expected, (roman, condition)
        assert table.cell(roman, "Total") == sum(paper_row)
    for condition, total in zip(PAPER_CONDITIONS, PAPER_TABLE1_TOTALS, strict=False):
        assert table.cell("Total", condition.title()) == total
    assert table.cell("Total", "Total") == 2707


def test_table1_csv_format(catalog) -> None:  # type: ignore[no-untyped-def]
    lines = table1(catalog).to_csv().splitlines()
    assert lines[0].startswith("FST,Basal Cell Carcinoma,Folliculitis,")
    assert lines[1] == "I,85,30,15,70,7,113,100,420"
    assert lines[-1] == "Total,460,317,254,350,168,622,536,2707"


def test_summary_reports_known_issues(catalog) -> None:  # type: ignore[no-untyped-def]
    summary = summarize(catalog)
    assert summary.unknown_fitzpatrick == 565
    assert summary.empty_urls == 41
    assert summary.min_images_per_label == 53


def test_modified_bundled_csv_fails_its_sha256(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "fitzpatrick17k.csv"
    shutil.copyfile(bundled_csv_path(), copy)
    with copy.open("a") as handle:
        handle.write("\n")
    monkeypatch.setattr(_catalog, "bundled_csv_path", lambda: copy)
    with pytest.raises(IntegrityError, match="reinstall"):
        load_catalog()


def test_missing_csv_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_catalog(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("text", "line", "field", "needle"),
    [
        (HEADER.replace(",qc", ""), 1, None, "missing column(s) ['qc']"),
        (HEADER.replace("url_alphanum", "url_alphanum,extra"), 1, None,
         "unexpected column(s) ['extra']"),
        (HEADER + GOOD.replace("5e82a45b", "XXXXa45b"), 2, "md5hash", "32 lowercase hex"),
        (HEADER + GOOD.replace(",3,3,", ",9,3,"), 2, "fitzpatrick_scale", "'9'"),
        (HEADER + GOOD.replace(",3,3,", ",3,0,"), 2, "fitzpatrick_centaur", "'0'"),
        (HEADER + GOOD + GOOD, 3, "md5hash", "first seen on line 2"),
        (HEADER + GOOD.replace("psoriasis", ""), 2, "label", "at least 1 character"),
        (HEADER + GOOD.rstrip("\n") + ",extra\n", 2, None, "different number"),
    ],
)
def test_bad_rows_name_line_and_column(
    text: str, line: int, field: str | None, needle: str
) -> None:
    with pytest.raises(RecordError) as exc:
        parse_catalog(text, origin="mini.csv")
    err = exc.value
    assert (err.path, err.line, err.field) == ("mini.csv", line, field)
    assert needle in str(err)


def test_many_bad_rows_are_listed_together() -> None:
    bad = GOOD.replace(",3,3,", ",9,3,")
    text = HEADER + bad + bad.replace("5e82", "6e82")
    with pytest.raises(InputError) as exc:
        parse_catalog(text, origin="mini.csv")
    message = str(exc.value)
    assert "2 invalid rows" in message and "line 2" in message and "line 3" in message
