"""release.json records what built it: the git revision of the dermforge source (not HEAD)
and the versions of the libraries that shape the release's bytes."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import dermforge
from dermforge.builder import BYTE_SHAPING_LIBRARIES, git_revision
from needs import require
from release.factory import Ready


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                           "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_release_json_records_the_byte_shaping_library_versions(
        built: tuple[Ready, Path]) -> None:
    recorded = json.loads((built[1] / "release.json").read_text())["library_versions"]
    assert set(BYTE_SHAPING_LIBRARIES) == {"pillow", "numpy", "pyarrow", "scikit-image",
                                           "datasets", "huggingface_hub"}
    assert recorded == {"python": platform.python_version(),
                        **{name: version(name) for name in BYTE_SHAPING_LIBRARIES}}


def test_release_json_records_the_last_commit_of_the_package_source(
        built: tuple[Ready, Path]) -> None:
    package = Path(dermforge.__file__).resolve().parent
    require(shutil.which("git") is not None, "git is not installed")
    inside = subprocess.run(["git", "-C", str(package), "rev-parse"], capture_output=True,
                            check=False).returncode == 0
    require(inside, "dermforge does not run from a git checkout here")
    last = _git(package, "log", "-1", "--format=%H", "--", ".")
    dirty = _git(package, "status", "--porcelain", "--", ".")
    expected = f"{last}+dirty" if dirty else last
    assert json.loads((built[1] / "release.json").read_text())["git_revision"] == expected


def test_git_revision_follows_the_package_folder_not_head(tmp_path: Path) -> None:
    """Committing the build's outputs (dvc.lock) moves HEAD, not the recorded revision;
    uncommitted source changes are marked +dirty; no checkout gives None."""
    require(shutil.which("git") is not None, "git is not installed")
    assert git_revision(tmp_path) is None  # not a git checkout
    repo = tmp_path / "repo"
    package = repo / "src" / "pkg"
    package.mkdir(parents=True)
    _git(repo, "init", "-q")
    assert git_revision(package) is None  # a checkout, but nothing committed there
    (package / "a.py").write_text("x = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "code")
    code = _git(repo, "rev-parse", "HEAD")
    assert git_revision(package) == code
    (repo / "dvc.lock").write_text("outs: []\n")
    _git(repo, "add", "dvc.lock")
    _git(repo, "commit", "-qm", "release hashes")
    assert _git(repo, "rev-parse", "HEAD") != code
    assert git_revision(package) == code  # HEAD moved; the code did not
    (package / "a.py").write_text("x = 2\n")
    assert git_revision(package) == f"{code}+dirty"
