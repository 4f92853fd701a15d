"""Spreadsheet round trip: export, edit, import; every bad row is named."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dermforge.curation import CSV_COLUMNS, VerdictLog, export_csv, import_csv
from dermforge.errors import InputError
from dermforge.store import Workspace
from release.factory import Populated

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
    assert [r["candidate_id"] for r in rows][:6] == [
        c.candidate_id for c in pop.candidates if c.source_id == rows[0]["seed_id"]]
    assert Path(rows[0]["image_path"]).is_file()
    rows[0].update(decision="accept", photorealism="5", consistency="4", reason_codes="")
    rows[1].update(decision="Reject", reason_codes="artifact; wrong-body-part", note="blurry")
    write(sheet, rows)
    log = VerdictLog(ws)
    result = import_csv(log, sheet, default_reviewer="rev-a", now=NOW)
    assert (result.written, result.blank) == (2, len(rows) - 2)
    second = log.latest()[rows[1]["candidate_id"]]
    assert second.decision == "reject" and second.reason_codes == ("artifact",
                                                                   "wrong-body-part")
    assert second.reviewer == "rev-a" and second.decided_at == NOW
    # exporting and importing again changes nothing
    export_csv(ws, sheet)
    again = import_csv(log, sheet, default_reviewer=None, now=NOW)
    assert (again.written, again.unchanged) == (0, 2)
    assert len(log.all()) == 2


def test_bad_rows_are_named_and_nothing_is_written(
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
    write(sheet, rows)
    with pytest.raises(InputError) as info:
        import_csv(VerdictLog(ws), sheet, default_reviewer=None, now=NOW)
    text = str(info.value)
    for row, what in [(3, "'maybe'"), (4, "'7'"), (5, "reviewer"), (6, "'deadbeef-00'"),
                      (7, "decided_at")]:
        assert f"row {row}:" in text and what in text, (row, text)
    assert "row 2:" not in text
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


def test_missing_column_and_duplicate_rows(curation_ws: tuple[Workspace, Populated],
                                           tmp_path: Path) -> None:
    ws, pop = curation_ws
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("candidate_id,verdict\nx,accept\n")
    with pytest.raises(InputError, match="decision"):
        import_csv(VerdictLog(ws), sheet, default_reviewer="r", now=NOW)
    cid = pop.candidates[0].candidate_id
    sheet.write_text(f"candidate_id,decision\n{cid},accept\n{cid},reject\n")
    with pytest.raises(InputError, match=r"row 3:.*row 2"):
        import_csv(VerdictLog(ws), sheet, default_reviewer="r", now=NOW)
