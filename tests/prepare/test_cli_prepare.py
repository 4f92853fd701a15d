"""`dermforge seeds sample` + `dermforge prepare` from the command line on the demo images:
re-running changes no byte; another RNG seed changes the seeds; bad input exits 2 with the
file, line and field. (In-process through typer's runner, except the one test that checks the
real entry point's exit status and stderr.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import Result

import clirun
from clirun import CliFailed
from dermforge.store import Workspace

CLI = [sys.executable, "-m", "dermforge"]

PARAMS = """
seeds:
  conditions: [squamous cell carcinoma]
  pool: workspace
prepare:
  crop: {output_size: 256}
"""


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def invoke(params: Path, *args: str) -> Result:
    """Run a stage in-process with --params; a named error raises clirun.CliFailed."""
    return clirun.invoke(*args, "--params", str(params))


def snapshot(workspace: Path) -> dict[str, bytes]:
    sheets = (workspace / "reports" / "prepare").glob("*.png")
    files = [*(workspace / "records").glob("*.jsonl"), *sheets]
    return {p.name: p.read_bytes() for p in files}


def test_sample_prepare_rerun_identical_other_rng_seed_differs(
        demo_workspace: Workspace, tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS)
    ws = str(demo_workspace.root)
    sampled = invoke(params, "seeds", "sample", "-w", ws)
    assert "squamous cell carcinoma, FST I-II: 8 of 12" in sampled.stdout
    prepared = invoke(params, "prepare", "-w", ws)
    assert "16 crops" in prepared.stdout and "16 masks, 16 prompts" in prepared.stdout
    sheet = demo_workspace.reports_dir / "prepare" / "contact-sheet-squamous-cell-carcinoma.png"
    assert f"contact sheet: {sheet}" in prepared.stdout and sheet.is_file()
    first = snapshot(demo_workspace.root)
    assert {"seeds.jsonl", "crops.jsonl", "masks.jsonl", "prompts.jsonl", sheet.name} <= set(first)

    assert "unchanged:" in invoke(params, "seeds", "sample", "-w", ws).stdout
    again = invoke(params, "prepare", "-w", ws)
    assert again.stdout.count("unchanged:") == 3
    assert snapshot(demo_workspace.root) == first

    other = invoke(params, "seeds", "sample", "-w", ws, "--rng-seed", "7")
    assert "wrote" in other.stdout
    assert (demo_workspace.records_dir / "seeds.jsonl").read_bytes() != first["seeds.jsonl"]


def test_bad_annotations_exit_2_naming_file_line_field(demo_workspace: Workspace,
                                                       tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PARAMS + "  annotations: notes.csv\n")
    (tmp_path / "notes.csv").write_text("source_id,left,top,width,height\nabc,0,0,100,90\n")
    ws = str(demo_workspace.root)
    invoke(tmp_path / "params.yaml", "seeds", "sample", "-w", ws)
    result = run_cli(tmp_path, "prepare", "-w", ws)
    assert result.returncode == 2
    assert "notes.csv line 2: field 'box': seed abc: " in result.stderr
    assert "not square (width 100, height 90)" in result.stderr and "fix:" in result.stderr
    assert not (demo_workspace.records_dir / "crops.jsonl").exists()


def test_bad_params_and_missing_seeds(tmp_path: Path) -> None:
    params, ws = tmp_path / "params.yaml", str(Workspace(tmp_path / "ws").create().root)
    params.write_text("prepare:\n  mask: {method: ellipse, rx: 2}\n")
    with pytest.raises(CliFailed, match=r"field 'prepare.mask.ellipse.rx'"):
        invoke(params, "prepare", "-w", ws)
    params.write_text("")
    with pytest.raises(CliFailed, match=r"run `dermforge seeds sample"):
        invoke(params, "prepare", "-w", ws)
    with pytest.raises(CliFailed, match=r"seeds.n_per_group"):
        invoke(params, "seeds", "sample", "-w", ws, "-c", "psoriasis,acne",
               "--n-per-group", "0")
    with pytest.raises(CliFailed, match=r"prepare.annotations: .*nope.yaml' does not exist"):
        params.write_text("prepare:\n  annotations: nope.yaml\n")
        invoke(params, "seeds", "sample", "-w", ws, "-c", "psoriasis")
        invoke(params, "prepare", "-w", ws)
