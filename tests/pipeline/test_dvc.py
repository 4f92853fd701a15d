"""The repository's dvc.yaml end to end with real DVC, git and a temporary local remote, at
small sizes: every declared stage reproduces and `dvc status` is then clean; metrics and the
plot are versioned; human verdicts survive `dvc repro` and `dvc checkout --force`; and
repro → push → fresh clone → pull gives an identical release."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COPIED = ("dvc.yaml", "params.yaml", ".dvcignore", ".gitignore", ".dvc/config",
          ".dvc/.gitignore", "src/dermforge", "workspace/records/verdicts.jsonl")
#: the default params, scaled down: 2 seeds per group, 3 candidates, 64 px, keep 2, and a
#: two-epoch evaluation on 32 px inputs with random weights (a pipeline check)
SMALL = {("seeds", "n_per_group"): 2, ("generate", "n"): 3, ("curate", "keep_per_seed"): 2,
         ("evaluate", "epochs"): 2, ("evaluate", "image_size"): 32, ("evaluate", "views"): 1,
         ("evaluate", "weights"): "random", ("evaluate", "synthetic"): 4,
         ("evaluate", "doses"): [2, 4], ("evaluate", "batch_size"): 64,
         ("evaluate", "selection"): "clean", ("evaluate", "select_after_epoch"): 0}
HUMAN_LOG = "workspace/records/verdicts.jsonl"
AUTO_LOG = "workspace/records/auto_verdicts.jsonl"

pytestmark = pytest.mark.slow


def run(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "HF_HOME": str(cwd.parent / "hf"),
           "HF_HUB_OFFLINE": "1", "DERMFORGE_OFFLINE": "1",
           "DERMFORGE_CACHE_DIR": str(cwd.parent / "features")}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=900)
    if ok:
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def make_project(root: Path, remote: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source, target = REPO / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copyfile(source, target)
    params = yaml.safe_load((root / "params.yaml").read_text())
    for (section, key), value in SMALL.items():
        params[section][key] = value
    params["prepare"]["crop"]["output_size"] = 64
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(root, "git", "init", "-q")
    run(root, "dvc", "remote", "add", "-f", "-d", "local", str(remote))
    run(root, "dvc", "config", "--local", "core.site_cache_dir", str(root.parent / "site"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The project after `dvc repro` of every stage, committed to git."""
    base = tmp_path_factory.mktemp("dvc")
    root = base / "project"
    make_project(root, base / "remote")
    out = run(root, "dvc", "repro").stdout
    for stage in ("import", "seeds", "splits", "prepare", "generate", "curate", "signals",
                  "build", "evaluate", "attach"):
        assert f"Running stage '{stage}'" in out, out
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-qm", "release 0.1.0")
    yield root


def test_every_stage_reproduces_and_status_is_clean(project: Path) -> None:
    assert "Data and pipelines are up to date" in run(project, "dvc", "status").stdout
    assert run(project, "git", "status", "--porcelain").stdout == ""
    record = json.loads((project / "release" / "release.json").read_text())
    counts = record["counts"]
    assert counts["seeds"] == 2 * 2 * 2 and counts["synthetic"] == 8 * 2
    # the published release carries its validation; the build's folder does not
    assert record["evaluation"]["backbone"] == "efficientnet-lite0"
    assert (project / "release" / "validation" / "metrics.json").read_bytes() == \
        (project / "evaluation" / "metrics.json").read_bytes()
    assert "## Validation against Sagers et al. 2022" in \
        (project / "release" / "README.md").read_text()
    assert json.loads((project / "release-unvalidated" / "release.json").read_text())[
        "evaluation"] is None
    # the human log is git's, the automatic one DVC's: neither is the other's
    tracked = run(project, "git", "ls-files").stdout.splitlines()
    assert HUMAN_LOG in tracked and AUTO_LOG not in tracked
    assert "evaluation/metrics.json" in tracked and "evaluation/figure3.png" in tracked
    assert (project / HUMAN_LOG).read_bytes() == b""
    assert (project / AUTO_LOG).read_bytes().count(b"\n") == 8 * 3


def test_metrics_and_plots_are_versioned(project: Path) -> None:
    shown = json.loads(run(project, "dvc", "metrics", "show", "--json").stdout)
    metrics = shown[""]["data"]["evaluation/metrics.json"]["data"]
    assert metrics.get("run_accuracy")
    assert run(project, "dvc", "metrics", "diff", "HEAD").returncode == 0
    html = project / "plots"
    run(project, "dvc", "plots", "show", "-o", str(html))
    assert (html / "index.html").is_file()


def test_code_is_a_dependency_of_the_stage_that_runs_it(project: Path) -> None:
    lock = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    module = {"import": "_sources", "signals": "_signals", "curate": "_curate"}
    for stage, package in (("import", "sources"), ("seeds", "sampling"),
                           ("splits", "sampling"), ("prepare", "prepare"),
                           ("generate", "runner"), ("curate", "curation"),
                           ("signals", "curation"), ("build", "builder"),
                           ("evaluate", "evaluation"), ("attach", "builder")):
        deps = {d["path"] for d in lock[stage]["deps"]}
        assert f"src/dermforge/{package}" in deps, stage
        assert f"src/dermforge/pipeline/{module.get(stage, '_' + stage)}.py" in deps, stage
    release = json.loads((project / "release" / "release.json").read_text())
    assert release["library_versions"]["pyarrow"] and release["git_revision"]


def _one_accepted(project: Path) -> str:
    table = pq.read_table(project / "release" / "data" / "synthetic",
                          columns=["image_id", "reviewer"])
    row = table.to_pylist()[0]
    assert row["reviewer"] == "auto:first-k"
    return str(row["image_id"])


def test_human_verdicts_survive_repro_and_checkout(project: Path) -> None:
    candidate = _one_accepted(project)
    sheet = project.parent / "review.csv"
    sheet.write_text("candidate_id,decision,reason_codes,reviewer,note\n"
                     f"{candidate},reject,artifact,dr-okafor,not photorealistic\n")
    run(project, "dermforge", "curate", "import", str(sheet), "-w", "workspace")
    human = (project / HUMAN_LOG).read_bytes()
    assert human.count(b"\n") == 1 and b"dr-okafor" in human
    status = json.loads(run(project, "dvc", "status", "--json").stdout)
    assert {"curate", "build"} <= set(status)  # their input changed: they are stale …
    for stage, changes in status.items():  # … but no stage claims the log as its output
        for change in changes:
            outs = change.get("changed outs", {}) if isinstance(change, dict) else {}
            assert HUMAN_LOG not in outs, (stage, change)
    # an automatic stage never owns the human log: checkout restores outputs, not it
    run(project, "dvc", "checkout", "--force")
    assert (project / HUMAN_LOG).read_bytes() == human
    run(project, "dvc", "repro", "build")  # the build's folder, before evaluate and attach
    assert (project / HUMAN_LOG).read_bytes() == human
    rows = pq.read_table(project / "release-unvalidated" / "data" / "candidates",
                         columns=["image_id", "verdict", "reviewer"]).to_pylist()
    mine = next(r for r in rows if r["image_id"] == candidate)
    assert (mine["verdict"], mine["reviewer"]) == ("reject", "dr-okafor")
    synthetic = pq.read_table(project / "release-unvalidated" / "data" / "synthetic",
                              columns=["image_id"]).column("image_id").to_pylist()
    assert candidate not in synthetic and len(synthetic) == 8 * 2
    run(project, "dvc", "checkout", "--force")
    assert (project / HUMAN_LOG).read_bytes() == human
    run(project, "dermforge", "verify", "release")
    assert f" M {HUMAN_LOG}" in run(project, "git", "status", "--porcelain").stdout


def test_repro_push_clone_pull_gives_identical_release(project: Path,
                                                       tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    run(project, "dvc", "repro")  # whatever an earlier test left stale (e.g. evaluate)
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "curated", ok=False)
    assert "Data and pipelines are up to date" in run(project, "dvc", "status").stdout
    run(project, "dvc", "push")
    manifest = (project / "release" / "MANIFEST.json").read_bytes()
    run(tmp_path, "git", "clone", "-q", str(project), str(clone))
    run(clone, "dvc", "config", "--local", "core.site_cache_dir", str(tmp_path / "site2"))
    assert not (clone / "release").exists()
    run(clone, "dvc", "pull")
    assert (clone / "release" / "MANIFEST.json").read_bytes() == manifest
    assert "up to date" in run(clone, "dvc", "status").stdout
    run(clone, "dermforge", "verify", "release")
    assert "Running stage" not in run(clone, "dvc", "repro").stdout
