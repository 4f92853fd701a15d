"""`dermforge build` end to end, as DVC and `make demo` call it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from dermforge.cli import app
from release.factory import Ready


def test_build_prints_the_release_path_last(ready: Ready, tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("build:\n  version: 1.0.0\n  row_group_rows: 8\n"
                      "curate:\n  keep_per_seed: 4\n")
    out = tmp_path / "releases" / "1.0.0"
    result = CliRunner().invoke(app, [
        "build", "-w", str(ready.workspace.root), "--out", str(out),
        "--params", str(params), "--created", "2026-02-02T10:00:00+00:00",
        "--git-revision", "abc123"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == f"release: {out}"
    assert "16 synthetic, 24 candidates, 8 seeds, 96 experiments" in result.output
    release = (out / "release.json").read_text()
    assert '"git_revision": "abc123"' in release and '"row_group_rows": 8' in release
    assert '"version": "1.0.0"' in release


def test_a_refused_build_exits_1_with_the_fix(ready: Ready, tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "x").write_text("occupied")
    exe = Path(sys.executable).with_name("dermforge")
    result = subprocess.run([str(exe), "build", "-w", str(ready.workspace.root),
                             "--release-version", "1.0.0", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1  # a release that must not be built: refused
    assert "never overwritten" in result.stderr and "fix:" in result.stderr


def test_a_version_is_required(ready: Ready, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", "-w", str(ready.workspace.root), "--out",
                                      str(tmp_path / "r")])
    assert result.exit_code == 2 and "no release version" in result.output
