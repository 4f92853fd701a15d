"""`dermforge generate` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dermforge.cli import app
from dermforge.schemas import Candidate
from dermforge.store import Workspace

from .conftest import prepare_seeds


@pytest.fixture(autouse=True)
def _no_params_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./params.yaml: built-in defaults


def test_classic_run_and_rerun(demo_workspace: Workspace) -> None:
    prepare_seeds(demo_workspace, 3, 96)
    args = ["generate", "--workspace", str(demo_workspace.root), "--backend", "classic",
            "--n", "2", "--no-jitter", "--concurrency", "2"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "6 images stored from 3 of 3 requests" in first.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "already done: 3" in again.output
    candidates = demo_workspace.read(Candidate)
    assert len(candidates) == 6 and all(c.metadata["jitter"] is None for c in candidates)


def test_params_file_and_option_errors(demo_workspace: Workspace, tmp_path: Path) -> None:
    prepare_seeds(demo_workspace, 1, 96)
    params = tmp_path / "p.yaml"
    params.write_text("generate:\n  backend: classic\n  n: 1\n  jitter: false\n")
    ws = ["--workspace", str(demo_workspace.root)]
    ok = CliRunner().invoke(app, ["generate", *ws, "--params", str(params)])
    assert ok.exit_code == 0, ok.output
    assert len(demo_workspace.read(Candidate)) == 1
    for extra, message in [(["--backend", "import"], "needs --from"),
                           (["--backend", "nope"], "'classic', 'diffusers', 'import', 'openai'"),
                           (["--from", str(tmp_path)], "only for --backend import"),
                           (["--shard", "5/2"], "shard 5/2")]:
        result = CliRunner().invoke(app, ["generate", *ws, "--params", str(params), *extra])
        shown = " ".join(result.output.split())
        assert result.exit_code == 2 and message in shown, (extra, result.output)
    params.write_text("generate:\n  n: 11\n")
    bad = CliRunner().invoke(app, ["generate", *ws, "--params", str(params)])
    assert bad.exit_code == 2 and "generate.n" in bad.output
