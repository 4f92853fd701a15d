"""Spreadsheet round trip: export, edit, import; every bad row is named by row and field;
human columns are left for people; formula cells are neutralised."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dermforge.curation import (
    AUTO_COLUMNS,
    CSV_COLUMNS,
    HUMAN_COLUMNS,
    VerdictLog,
    apply_policy,
    export_csv,
    import_csv,
    neutralise_cell,
    restore_cell,
)
from dermforge.errors import InputError
from dermforge.schemas import CurationVerdict
from dermforge.store import Workspace
from release.factory import BASE_TIME, Populated

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def test_round_trip(curation_ws: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, pop = curation_ws
    sheet = tmp_path / "sheet.csv"
    assert export_csv(ws, sheet) == len(pop.candidates)
    rows = read(sheet)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["candidate_id"] for r in rows][:6] == [
        c.candidate_id for c in pop.candidates if c.source_id == rows[0]["seed_id"]]
    assert Path(rows[0]["image_path"]).is_file()
    rows[0].update(decision="accept", photorealism="5", consistency="4.0", reason_codes="")
    rows[1].update(decision="Reject", reason_codes="artifact; blurry", note="smudged")
    write(sheet, rows)
    log = VerdictLog(ws)
    result = import_csv(log, sheet, default_reviewer="rev-a", now=NOW)
    assert (result.written, result.blank) == (2, len(rows) - 2)
    first, second = (log.latest()[rows[i]["candidate_id"]] for i in (0, 1))
    assert (first.photorealism, first.consistency) == (5, 4)
    assert second.decision == "reject" and second.reason_codes == ("artifact", "blurry")
    assert second.reviewer == "rev-a" and second.decided_at == NOW
    # exporting and importing again changes nothing
    export_csv(ws, sheet)
    again = import_csv(log, sheet, default_reviewer=None, now=NOW + timedelta(hours=1))
    assert (again.written, again.unchanged) == (0, 2)
    assert len(log.all()) == 2


def test_automatic_verdicts_stay_out_of_the_human_columns(
        curation_ws: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, _ = curation_ws
    apply_policy(ws, "first-k", 2)
    sheet = tmp_path / "sheet.csv"
    export_csv(ws, sheet)
    rows = read(sheet)
    assert {r["auto_reviewer"] for r in rows} == {"auto:first-k"}
    assert {r["auto_decision"] for r in rows} == {"accept", "reject"}
    assert {r[c] for r in rows for c in HUMAN_COLUMNS} == {""}
    log = VerdictLog(ws)
    unedited = import_csv(log, sheet, default_reviewer="rev-a", now=NOW)
    assert (unedited.written, unedited.blank) == (0, len(rows))
    # a person confirms one automatic reject and overrules another: theirs, dated now
    rows[2].update(decision="reject")
    rows[3].update(decision="accept", reviewer="rev-b")
    rows[0].update(decision="reject")  # frees a place: seed keeps 2 accepted
    write(sheet, rows)
    result = import_csv(log, sheet, default_reviewer="rev-a", now=NOW)
    assert result.written == 3
    assert {(v.reviewer, v.decided_at) for v in log.all()} == {("rev-a", NOW), ("rev-b", NOW)}
    assert list(AUTO_COLUMNS) == ["auto_decision", "auto_reviewer"]


def test_a_changed_row_is_dated_with_the_import_time(
        curation_ws: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, pop = curation_ws
    cid = pop.candidates[0].candidate_id
    old = BASE_TIME + timedelta(days=1)
    log = VerdictLog(ws)
    log.append(CurationVerdict(candidate_id=cid, decision="accept", reviewer="rev-a",
                               decided_at=old))
    sheet = tmp_path / "sheet.csv"
    export_csv(ws, sheet)
    rows = read(sheet)
    assert rows[0]["decided_at"] == old.isoformat()
    rows[0].update(decision="reject", reviewer="rev-b")  # decided_at cell kept as exported
    write(sheet, rows)
    import_csv(log, sheet, default_reviewer=None, now=NOW)
    assert (log.latest()[cid].reviewer, log.latest()[cid].decided_at) == ("rev-b", NOW)
    # a new, valid time given by the reviewer is kept
    export_csv(ws, sheet)
    rows = read(sheet)
    given = NOW - timedelta(hours=3)
    rows[0].update(note="seen on paper", decided_at=given.isoformat())
    write(sheet, rows)
    import_csv(log, sheet, default_reviewer=None, now=NOW)
    assert log.latest()[cid].decided_at == given and len(log.all()) == 3


def test_bad_rows_are_named_by_row_and_field_and_nothing_is_written(
        curation_ws: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, _ = curation_ws
    sheet = tmp_path / "sheet.csv"
    export_csv(ws, sheet)
    rows = read(sheet)
    rows[0].update(decision="accept", reviewer="rev-a")          # row 2: fine
    rows[1].update(decision="maybe", reviewer="rev-a")           # row 3
    rows[2].update(decision="accept", photorealism="7", reviewer="rev-a")  # row 4
    rows[3].update(decision="reject")                            # row 5: no reviewer
    rows[4].update(candidate_id="deadbeef-00", decision="reject", reviewer="rev-a")  # row 6
    rows[5].update(decision="accept", reviewer="rev-a", decided_at="yesterday")  # row 7
    rows[6].update(decision="reject", reviewer="auto:me")        # row 8
    rows[7].update(decision="reject", reviewer="rev-a", reason_codes="artifact;looks-odd")
    rows[8].update(decision="reject", reviewer="rev-a", consistency="nan")  # row 10
    write(sheet, rows)
    with pytest.raises(InputError) as info:
        import_csv(VerdictLog(ws), sheet, default_reviewer=None, now=NOW)
    text = str(info.value)
    for row, name, what in [(3, "decision", "'maybe'"), (4, "photorealism", "'7'"),
                            (5, "reviewer", "no reviewer"), (6, "candidate_id", "'deadbeef-00'"),
                            (7, "decided_at", "'yesterday'"), (8, "reviewer", "reserved"),
                            (9, "reason_codes", "looks-odd"), (10, "consistency", "'nan'")]:
        assert f"{sheet} row {row}, field '{name}':" in text and what in text, (row, text)
    assert "row 2," not in text and "fix:" in text
    assert VerdictLog(ws).all() == []


def test_keep_per_seed_names_the_rows(curation_ws: tuple[Workspace, Populated],
                                      tmp_path: Path) -> None:
    ws, _ = curation_ws
    sheet = tmp_path / "sheet.csv"
    export_csv(ws, sheet)
    rows = read(sheet)
    for row in rows[:5]:  # five accepted candidates of the first seed
        row.update(decision="accept", reviewer="rev-a")
    write(sheet, rows)
    with pytest.raises(InputError) as info:
        import_csv(VerdictLog(ws, keep_per_seed=4), sheet, default_reviewer=None, now=NOW)
    assert "row 6:" in str(info.value) and rows[0]["seed_id"] in str(info.value)
    assert VerdictLog(ws).all() == []


def test_missing_column_duplicate_rows_and_a_bad_default_reviewer(
        curation_ws: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, pop = curation_ws
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("candidate_id,verdict\nx,accept\n")
    with pytest.raises(InputError, match=r"row 1: the header lacks .*decision"):
        import_csv(VerdictLog(ws), sheet, default_reviewer="r", now=NOW)
    cid = pop.candidates[0].candidate_id
    sheet.write_text(f"candidate_id,decision\n{cid},accept\n{cid},reject\n")
    with pytest.raises(InputError, match=r"row 3, field 'candidate_id':.*row 2"):
        import_csv(VerdictLog(ws), sheet, default_reviewer="r", now=NOW)
    sheet.write_text(f"candidate_id,decision\n{cid},accept\n")
    with pytest.raises(InputError, match=r"--reviewer 'auto:x':.*reserved"):
        import_csv(VerdictLog(ws), sheet, default_reviewer="auto:x", now=NOW)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'=x", "''+y",
                                  "'plain", "plain", "", "rev-a", "a=b"])
def test_formula_quote_round_trips_exactly(cell: str) -> None:
    out = neutralise_cell(cell)
    assert restore_cell(out) == cell
    assert out[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_the_reviewer_qualification_round_trips_and_is_checked(
        curation_ws: tuple[Workspace, Populated], tmp_path: Path) -> None:
    ws, _ = curation_ws
    sheet = tmp_path / "sheet.csv"
    export_csv(ws, sheet)
    rows = read(sheet)
    assert "reviewer_qualification" in HUMAN_COLUMNS and rows[0]["reviewer_qualification"] == ""
    rows[0].update(decision="accept", reviewer="rev-a", reviewer_qualification="Dermatologist ")
    rows[1].update(decision="reject", reviewer="rev-b", reason_codes="blurry")  # not stated
    rows[2].update(decision="reject", reviewer="rev-c", reason_codes="blurry",
                   reviewer_qualification="nurse")                              # row 4
    write(sheet, rows)
    log = VerdictLog(ws)
    with pytest.raises(InputError) as info:
        import_csv(log, sheet, default_reviewer=None, now=NOW)
    text = str(info.value)
    assert f"{sheet} row 4, field 'reviewer_qualification':" in text and "'nurse'" in text
    assert "dermatologist, resident, other clinician, non-clinician" in text  # the fix
    assert log.all() == []
    rows[2].update(reviewer_qualification="other clinician")
    write(sheet, rows)
    assert import_csv(log, sheet, default_reviewer=None, now=NOW).written == 3
    latest = log.latest()
    assert [latest[rows[i]["candidate_id"]].reviewer_qualification for i in range(3)] == [
        "dermatologist", None, "other clinician"]
    # exported as recorded; an unedited sheet imports nothing; a changed qualification is new
    export_csv(ws, sheet)
    rows = read(sheet)
    assert [r["reviewer_qualification"] for r in rows[:3]] == [
        "dermatologist", "", "other clinician"]
    assert import_csv(log, sheet, default_reviewer=None, now=NOW).written == 0
    rows[1].update(reviewer_qualification="resident")
    write(sheet, rows)
    assert import_csv(log, sheet, default_reviewer=None, now=NOW).written == 1
    assert log.latest()[rows[1]["candidate_id"]].reviewer_qualification == "resident"
