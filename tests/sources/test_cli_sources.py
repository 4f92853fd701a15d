"""`dermforge sources table1|summary` and `dermforge schemas export` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dermforge import PAPER_TABLE1
from dermforge.schemas import RECORD_TYPES

CLI = [sys.executable, "-m", "dermforge"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def test_table1_csv_equals_the_paper() -> None:
    result = run_cli("sources", "table1", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = [line.split(",") for line in result.stdout.splitlines()]
    body = {r[0]: tuple(int(v) for v in r[1:-1]) for r in rows[1:7]}
    assert body == PAPER_TABLE1
    assert rows[-1][-1] == "2707"


def test_table1_json_and_markdown() -> None:
    data = json.loads(run_cli("sources", "table1", "--json").stdout)
    assert data["rows"][-1]["Total"] == 2707
    markdown = run_cli("sources", "table1").stdout
    assert "| Total | 460 | 317 | 254 | 350 | 168 | 622 | 536 | 2,707 |" in markdown


def test_summary() -> None:
    result = run_cli("sources", "summary")
    assert result.returncode == 0
    assert "16,577" in result.stdout and "(verified)" in result.stdout


def test_bad_csv_option_is_reported_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("md5hash,label\nabc,psoriasis\n")
    result = run_cli("sources", "table1", "--csv", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad} line 1" in result.stderr and "missing column(s)" in result.stderr
    assert "fix:" in result.stderr


def test_schemas_export(tmp_path: Path) -> None:
    result = run_cli("schemas", "export", str(tmp_path))
    assert result.returncode == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {f"{m.__name__}.schema.json" for m in RECORD_TYPES}
