"""The real stages chained on the bundled images, then evaluated as a dataset user reads the
release: sources → seeds → splits → prepare → generate (classic) → curate auto → signals →
build → verify → evaluate. Small sizes; the point is that every stage accepts the previous
stage's real output, not the stage-specific fixtures of the other test areas."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dermforge.cli import app
from needs import require

PARAMS = """\
seeds: {conditions: [squamous cell carcinoma, basal cell carcinoma], n_per_group: 2,
        pool: workspace}
prepare: {crop: {output_size: 64}}
generate: {n: 3}
curate: {keep_per_seed: 2}
evaluate: {synthetic: 4, doses: [2, 4], selection: clean, select_after_epoch: 0,
           batch_size: 64, feature_batch_size: 64}
"""


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, f"dermforge {' '.join(args)}:\n{result.output}"
    return result.output


def invoke_json(*args: str) -> dict[str, Any]:
    """Run a stage with --json: stdout is one JSON object (progress and notes on stderr)."""
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, f"dermforge {' '.join(args)} --json:\n{result.output}"
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("chain")
    params = root / "params.yaml"
    params.write_text(PARAMS)
    ws = str(root / "ws")
    invoke("sources", "import", "--demo", "-w", ws)
    seeds = invoke_json("seeds", "sample", "-w", ws, "--params", str(params))["seeds"]
    invoke("splits", "-w", ws)
    assert invoke_json("prepare", "-w", ws, "--params", str(params))["crops"] == seeds
    generated = invoke_json("generate", "-w", ws, "--backend", "classic", "--params",
                            str(params))
    assert generated["ok"] and generated["report"]["stored_images"] > 0
    auto = invoke_json("curate", "auto", "-w", ws, "--policy", "first-k", "--params",
                       str(params))
    assert auto["reviewer"] == "auto:first-k" and auto["verdicts"] > 0
    invoke("curate", "signals", "-w", ws)
    out = root / "release"
    built = invoke_json("build", "-w", ws, "--release-version", "1.0.0", "--out", str(out),
                        "--params", str(params), "--created", "2026-01-01T00:00:00+00:00")
    assert (built["version"], built["path"]) == ("1.0.0", str(out))
    return out


def test_release_of_the_real_stages_verifies(release: Path) -> None:
    counts = json.loads((release / "release.json").read_text())["counts"]
    assert counts["seeds"] == 8 and counts["candidates"] == 24 and counts["synthetic"] == 16
    invoke("verify", str(release))


def test_evaluation_reads_the_built_release(release: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    require(importlib.util.find_spec("torch") is not None,
            "torch is not installed (the eval extra)")
    from dermforge.sources import demo_images_dir

    monkeypatch.setenv("DERMFORGE_OFFLINE", "1")
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS)
    out = tmp_path / "eval"
    output = invoke("evaluate", str(release), "--source-images", str(demo_images_dir()),
                    "--out", str(out), "--backbone", "efficientnet-lite0",
                    "--weights", "random", "--epochs", "2", "--image-size", "32",
                    "--views", "2", "--dtype", "fp32", "--params", str(params),
                    "--cache-dir", str(tmp_path / "cache"))
    assert "not computable: psoriasis" in output
    metrics = json.loads((out / "metrics.json").read_text())
    scc = metrics["table2"]["squamous cell carcinoma"]
    assert set(scc) == {"train-I-II", "train-V-VI"}
    assert set(scc["train-V-VI"]["I-II"]) == {"fitz_only", "seed", "synthetic"}
    assert "neutrophilic dermatoses" in metrics["not_computable"]


def test_the_python_api_does_exactly_what_the_cli_does(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The same small chain through `dermforge …` and through dermforge.pipeline gives
    byte-identical records and an identical release."""
    from dermforge._params import load_section
    from dermforge.builder import BuildParams
    from dermforge.curation import CurateParams, SignalsParams
    from dermforge.pipeline import (
        run_build,
        run_curate,
        run_generate,
        run_import,
        run_prepare,
        run_seeds,
        run_signals,
        run_splits,
    )
    from dermforge.prepare import PrepareParams
    from dermforge.prompts import PromptParams
    from dermforge.runner import GenerateParams
    from dermforge.sampling import SeedParams, SplitParams
    from dermforge.sources import demo_images_dir

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764028800")
    params = tmp_path / "params.yaml"
    params.write_text("seeds: {conditions: [squamous cell carcinoma], n_per_group: 1, "
                      "pool: workspace}\nprepare: {crop: {output_size: 64}}\n"
                      "generate: {n: 2}\ncurate: {keep_per_seed: 1}\n")
    cli, api = tmp_path / "cli", tmp_path / "api"
    ws, p = str(cli / "ws"), ("--params", str(params))
    invoke("sources", "import", "--demo", "-w", ws)
    invoke("seeds", "sample", "-w", ws, *p)
    invoke("splits", "-w", ws, *p)
    invoke("prepare", "-w", ws, *p)
    invoke("generate", "-w", ws, *p)
    invoke("curate", "auto", "-w", ws, *p)
    invoke("curate", "signals", "-w", ws, *p)
    invoke("build", "-w", ws, "--out", str(cli / "release"), "--release-version", "1.0.0", *p)

    def section(name: str, model: type) -> Any:
        return load_section(params, name, model)

    root = api / "ws"
    run_import(root, demo_images_dir())
    run_seeds(root, section("seeds", SeedParams))
    run_splits(root, section("splits", SplitParams))
    run_prepare(root, section("prepare", PrepareParams), section("prompts", PromptParams),
                params_dir=tmp_path)
    assert run_generate(root, section("generate", GenerateParams), handle_signals=False).ok
    run_curate(root, section("curate", CurateParams))
    run_signals(root, section("signals", SignalsParams))
    run_build(root, section("build", BuildParams), section("curate", CurateParams),
              out=api / "release", version="1.0.0")

    names = sorted(f.name for f in (cli / "ws" / "records").glob("*.jsonl"))
    assert names == sorted(f.name for f in (root / "records").glob("*.jsonl"))
    for name in names:
        assert (cli / "ws" / "records" / name).read_bytes() == \
            (root / "records" / name).read_bytes(), name
    assert (cli / "release" / "MANIFEST.json").read_bytes() == \
        (api / "release" / "MANIFEST.json").read_bytes()
