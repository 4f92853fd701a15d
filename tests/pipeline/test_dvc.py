"""The repository's dvc.yaml end to end, with real DVC and a temporary local remote:
repro → push → fresh clone → pull → identical MANIFEST.json (small params, same stages)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COPIED = ("dvc.yaml", "params.yaml", ".dvcignore", ".dvc/config", ".dvc/.gitignore",
          "src/dermforge/sources/data", "src/dermforge/cards/templates")
#: the default params, scaled down: 2 seeds per group, 3 candidates, 64 px, keep 2
SMALL = {("seeds", "n_per_group"): 2, ("generate", "n"): 3, ("curate", "keep_per_seed"): 2}

pytestmark = pytest.mark.slow


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def make_project(root: Path, remote: Path) -> None:
    for name in COPIED:
        source, target = REPO / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
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


def test_repro_push_clone_pull_gives_identical_manifest(tmp_path: Path) -> None:
    project, remote, clone = tmp_path / "project", tmp_path / "remote", tmp_path / "clone"
    make_project(project, remote)
    out = run(project, "dvc", "repro", "build").stdout
    for stage in ("import", "seeds", "splits", "prepare", "generate", "curate", "signals", "build"):
        assert f"Running stage '{stage}'" in out
    manifest = (project / "release" / "MANIFEST.json").read_bytes()
    counts = json.loads((project / "release" / "release.json").read_text())["counts"]
    assert counts["seeds"] == 2 * 2 * 2 and counts["synthetic"] == 8 * 2
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "release 0.1.0")
    run(project, "dvc", "push")
    assert any(remote.rglob("*")), "dvc push stored nothing in the remote"

    run(tmp_path, "git", "clone", "-q", str(project), str(clone))
    run(clone, "dvc", "config", "--local", "core.site_cache_dir", str(tmp_path / "site2"))
    assert not (clone / "release").exists()
    run(clone, "dvc", "pull", "--with-deps", "build")
    assert (clone / "release" / "MANIFEST.json").read_bytes() == manifest
    assert "up to date" in run(clone, "dvc", "status", "--with-deps", "build").stdout
    run(clone, "dermforge", "verify", "release")
    # nothing to do: a repro in the clone finds every stage up to date
    assert "Running stage" not in run(clone, "dvc", "repro", "build").stdout
