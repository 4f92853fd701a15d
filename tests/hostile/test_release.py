"""Hostile cases of release integrity (issue 10): a verifier that a deleted config, a rewritten
image with its hash and MANIFEST.json, an edited count, an extra, missing or tampered file
cannot fool; a folder that is not a release; publishing a tampered release from Python; builds
that race, hit a file-size limit or were killed.

Each case asserts the named error (file / config / row / field), the exit code (0 / 1 / 2)
and that nothing written before was lost or left half-written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from dermforge.builder import build_release, verify_release, write_manifest
from dermforge.errors import NotAReleaseError, ReleaseError
from dermforge.hub import publish_release
from dermforge.schemas import CurationVerdict
from dermforge.sources import demo_images_dir, import_folder, load_catalog
from dermforge.store import Workspace, sha256_file
from hostile.conftest import Result, assert_kept, assert_no_leftovers, files_of, invoke
from release.factory import decide, populate, seed_sources, write_splits
from servers.hub_server import HubServer

SYN = "data/synthetic/train-00000-of-00001.parquet"
CAND = "data/candidates/train-00000-of-00001.parquet"
TOKEN = "hf_hostileRELEASE_0123456789"


# ---- fixtures: one small workspace and one release per module, copied per test -------------

@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """8 seeds × 10 candidates (2 accepted per seed): builds in well under a second, and its
    shards take long enough to write that a test can catch a build in the act."""
    root = tmp_path_factory.mktemp("hostile-release")
    workspace = Workspace(root / "ws")
    import_folder(demo_images_dir(), workspace, load_catalog())
    populated = populate(workspace, seed_sources(workspace, per_cell=2), candidates_per_seed=10)
    write_splits(workspace, populated.seeds)
    workspace.manifest(CurationVerdict).append(decide(populated.candidates, accept_per_seed=2))
    release = root / "release-1.0.0"
    build_release(workspace, version="1.0.0", out=release)
    return workspace.root, release


@pytest.fixture
def release(_template: tuple[Path, Path], tmp_path: Path) -> Path:
    """A private copy of a freshly built release, free to tamper with."""
    return Path(shutil.copytree(_template[1], tmp_path / "release-1.0.0"))


@pytest.fixture
def workspace(_template: tuple[Path, Path], tmp_path: Path) -> Workspace:
    return Workspace(shutil.copytree(_template[0], tmp_path / "ws"))


def _verify(root: Path) -> Result:
    before = files_of(root)
    result = invoke("verify", root)
    assert_kept(before, root)  # verify never changes what it checks
    return result


def _problems(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("problem: ")]


def _png(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((32, 32, 3), value, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _rewrite_rows(shard: Path, change: Callable[[list[dict[str, object]]], None]) -> None:
    table = pq.read_table(shard)
    rows = table.to_pylist()
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), shard)


# ---- verify: folder ⇄ MANIFEST.json ⇄ release.json ----------------------------------------

def test_a_deleted_config_is_named_by_release_json(release: Path) -> None:
    """Delete data/synthetic/*.parquet AND its MANIFEST.json entry: release.json still lists
    the file and counts its rows."""
    (release / SYN).unlink()
    manifest = json.loads((release / "MANIFEST.json").read_text())
    del manifest["files"][SYN]
    (release / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    result = _verify(release)
    assert result.exit_code == 1, result.output
    problems = _problems(result)
    assert f"problem: {SYN}: missing: listed in release.json" in problems
    assert "problem: release.json: counts 16 synthetic rows; the shards hold 0" in problems
    assert "error: " in result.stderr and "fails verification" in result.stderr


def test_an_image_rewritten_with_its_hash_and_manifest_is_named(release: Path) -> None:
    """Replace one image and its image_sha256 consistently, re-hash MANIFEST.json: the row
    check passes, release.json's sha256 of the shard (and the candidates row) disagree."""
    fake = _png(7)
    image_id = ""

    def swap(rows: list[dict[str, object]]) -> None:
        nonlocal image_id
        image_id = str(rows[0]["image_id"])
        rows[0]["image"] = {"bytes": fake, "path": "x.png"}
        rows[0]["image_sha256"] = hashlib.sha256(fake).hexdigest()

    _rewrite_rows(release / SYN, swap)
    write_manifest(release)
    result = _verify(release)
    assert result.exit_code == 1, result.output
    recorded = json.loads((release / "release.json").read_text())["files"][SYN]
    assert (f"problem: {SYN}: changed: its sha256 is {sha256_file(release / SYN)}; "
            f"release.json records {recorded}") in _problems(result)
    assert any(image_id in p and "differs from its candidates row" in p
               for p in _problems(result)), result.stderr


def test_edited_counts_in_release_json_are_named(release: Path) -> None:
    path = release / "release.json"
    data = json.loads(path.read_text())
    data["counts"]["synthetic"] = 15
    data["counts"]["verdict_accept"] = 15
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    write_manifest(release)
    report = verify_release(release)
    assert [(p.file, p.config, p.field) for p in report.problems] == [
        ("release.json", "synthetic", "counts.synthetic"),
        ("release.json", "candidates", "counts.verdict_accept")], report.problems
    assert str(report.problems[0]) == "release.json: counts 15 synthetic rows; the shards hold 16"
    assert _verify(release).exit_code == 1


def test_an_extra_unlisted_file_is_named(release: Path) -> None:
    """A shard copied in beside the real one: unlisted in both records, and its rows are
    counted twice and its ids duplicated."""
    extra = "data/synthetic/train-00001-of-00001.parquet"
    shutil.copy(release / SYN, release / extra)
    result = _verify(release)
    assert result.exit_code == 1
    problems = _problems(result)
    assert (f"problem: {extra}: not listed in MANIFEST.json or release.json (added after the "
            "build)") in problems
    assert "problem: release.json: counts 16 synthetic rows; the shards hold 32" in problems
    assert any(p.startswith(f"problem: {extra}: synthetic row ") and "more than once" in p
               for p in problems), problems


def test_a_missing_listed_file_is_named(release: Path) -> None:
    (release / "CHANGELOG.md").unlink()
    (release / "provenance.schema.json").unlink()
    write_manifest(release)  # even with MANIFEST.json re-written to match
    result = _verify(release)
    assert result.exit_code == 1
    assert _problems(result) == [
        "problem: CHANGELOG.md: missing: listed in release.json",
        "problem: provenance.schema.json: missing: listed in release.json"]


def test_a_tampered_card_is_named(release: Path) -> None:
    """A fake "Licence" section appended to the card, MANIFEST.json re-hashed."""
    card = release / "README.md"
    card.write_text(card.read_text() + "\n## Licence\n\nPublic domain, no restrictions.\n")
    write_manifest(release)
    result = _verify(release)
    assert result.exit_code == 1
    assert _problems(result) == [
        f"problem: README.md: changed: its sha256 is {sha256_file(card)}; release.json records "
        f"{json.loads((release / 'release.json').read_text())['files']['README.md']}"]


def test_a_symlink_in_a_release_is_named(release: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret")
    (release / "notes.txt").symlink_to(tmp_path / "outside.txt")
    report = verify_release(release)
    assert [(p.file, p.problem.split(" (")[0]) for p in report.problems] == [
        ("notes.txt", "not a regular file")]


def test_a_folder_that_is_not_a_release_is_one_line_exit_2(tmp_path: Path) -> None:
    """Thousands of files, or a workspace: one error, exit 2, nothing walked."""
    big = tmp_path / "big"
    for i in range(40):
        sub = big / f"d{i:02d}"
        sub.mkdir(parents=True)
        for j in range(100):
            (sub / f"f{j:03d}.txt").write_text("x")
    started = time.monotonic()
    result = invoke("verify", big)
    assert time.monotonic() - started < 2
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("  fix:")
    assert "is not a release: it has neither release.json nor MANIFEST.json" in lines[0]
    with pytest.raises(NotAReleaseError):
        verify_release(big)
    workspace = Workspace(tmp_path / "ws").create()
    assert invoke("verify", workspace.root).exit_code == 2
    assert invoke("verify", tmp_path / "absent").exit_code == 2
    as_json = invoke("verify", big, "--json")
    assert as_json.exit_code == 2
    shown = json.loads(as_json.stdout)
    assert shown["ok"] is False and shown["error"]["exit_code"] == 2
    assert "is not a release" in shown["error"]["message"] and shown["problems"] == []


def test_verify_json_shape(release: Path) -> None:
    good = invoke("verify", release, "--json")
    assert good.exit_code == 0
    data = json.loads(good.stdout)
    assert data == {
        "ok": True, "root": str(release),
        "release": {"name": "fitz17k-dalle-aug", "version": "1.0.0"},
        "checked": {"files": 9, "rows": 16 + 80 + 8 + 96, "images": 16 + 80 + 16,
                    "configs": {"synthetic": 16, "candidates": 80, "seeds": 8,
                                "experiments": 96}},
        # an unsigned release: no detached signature to check, no image marks
        "signature": {"checked": False, "present": False, "signature": "release.sig"},
        "marks": None,
        "problems": [], "error": None}
    (release / "notes.txt").write_text("x")
    bad = invoke("verify", release, "--json")
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["ok"] is False and data["problems"] == [
        {"file": "notes.txt", "config": None, "row": None, "field": None,
         "problem": "not listed in MANIFEST.json or release.json (added after the build)"}]


# ---- audit -------------------------------------------------------------------------------

def test_audit_of_an_unknown_id_is_a_usage_error(release: Path, tmp_path: Path) -> None:
    result = invoke("audit", release, "no-such-image")
    assert result.exit_code == 2
    assert "'no-such-image' is in neither the synthetic nor the candidates config" in \
        result.stderr
    as_json = invoke("audit", release, "no-such-image", "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["exit_code"] == 2
    assert invoke("audit", tmp_path, "x").exit_code == 2  # not a release


def test_audit_of_an_image_whose_bytes_changed_exits_1(release: Path) -> None:
    image_id = ""

    def swap(rows: list[dict[str, object]]) -> None:
        nonlocal image_id
        image_id = str(rows[0]["image_id"])
        rows[0]["image"] = {"bytes": _png(3), "path": "x.png"}

    _rewrite_rows(release / SYN, swap)
    result = invoke("audit", release, image_id, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["image"]["sha256_verified"] is False
    assert f"image {image_id}" in result.stderr and "do not hash to" in result.stderr


# ---- publish from Python -----------------------------------------------------------------

def test_publish_from_python_refuses_a_row_tampered_release_before_any_request(
        release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No hook passed: publish_release runs the full verifier itself."""
    _rewrite_rows(release / CAND, lambda rows: rows[0].update(
        image={"bytes": _png(9), "path": "x.png"}, image_sha256=hashlib.sha256(
            _png(9)).hexdigest()))
    write_manifest(release)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with HubServer(token=TOKEN) as hub:
        with pytest.raises(ReleaseError, match="fails `dermforge verify`") as info:
            publish_release(release, "derm-lab/hostile", "v1.0.0", endpoint=hub.url)
        assert hub.requests == []
    assert f"{CAND}: changed" in str(info.value) and "release.json records" in str(info.value)


# ---- builds: racing, file-size limit, killed ------------------------------------------------

def test_build_refuses_a_tampered_previous_release(release: Path, workspace: Workspace,
                                                  tmp_path: Path) -> None:
    """--previous carries the earlier release's ids, verdicts and release_added into the new
    one: a previous release that fails verify must be refused, not trusted."""
    (release / SYN).unlink()
    before = files_of(workspace.root)
    out = tmp_path / "release-1.1.0"
    result = invoke("build", "-w", workspace.root, "--release-version", "1.1.0", "--out", out,
                    "--previous", release)
    assert result.exit_code == 1, result.output
    assert f"--previous {release} fails `dermforge verify`" in result.output
    assert SYN in result.output and "fix:" in result.output
    assert not out.exists() and not _partials(tmp_path)
    assert_kept(before, workspace.root)


def _cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "dermforge", *map(str, args)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def _partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".partial-" in p.name)


def _has_content(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except FileNotFoundError:  # renamed into place meanwhile
        return False


def _caught_writing(workspace: Workspace, out: Path) -> subprocess.Popen[str] | None:
    """Start `dermforge build` in a subprocess and return it SIGSTOPped while it writes its
    partial folder (None if it finished before it could be caught)."""
    proc = subprocess.Popen(_cli("build", "-w", workspace.root, "--release-version", "1.0.0",
                                 "--out", out), env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while proc.poll() is None:
        if any(_has_content(p) for p in _partials(out.parent)):  # it has begun writing
            proc.send_signal(signal.SIGSTOP)
            return proc
        time.sleep(0.002)
    proc.communicate()
    shutil.rmtree(out, ignore_errors=True)
    return None


def _stopped_build(workspace: Workspace, out: Path) -> subprocess.Popen[str]:
    for _ in range(3):
        proc = _caught_writing(workspace, out)
        if proc is not None:
            return proc
    raise AssertionError("the build always finished before it could be stopped")


def test_two_builds_racing_into_one_out(workspace: Workspace, tmp_path: Path) -> None:
    """The loser (a real CLI process stopped while writing) finds --out made by the winner:
    a ReleaseError naming the folder, exit 1, its partial folder removed."""
    out = tmp_path / "releases" / "1.0.0"
    out.parent.mkdir()
    loser = _stopped_build(workspace, out)
    try:
        partial = _partials(out.parent)
        winner = build_release(workspace, version="1.0.0", out=out)
        assert winner.cleaned == [] and _partials(out.parent) == partial  # alive: kept
    finally:
        loser.send_signal(signal.SIGCONT)
        _, stderr = loser.communicate(timeout=120)
    assert loser.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert f"error: {out} was created by another build" in stderr and "fix:" in stderr
    assert _partials(out.parent) == []
    assert verify_release(out).ok


def test_a_file_size_limit_during_build_is_a_storage_error(workspace: Workspace,
                                                             tmp_path: Path) -> None:
    """RLIMIT_FSIZE (SIGXFSZ ignored): the shard write fails with a real EFBIG. The limit
    lies between the build's scratch database (~156 KB here) and the candidates shard
    (~296 KB)."""
    out = tmp_path / "releases" / "1.0.0"
    before = files_of(workspace.root)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (250_000, 250_000))

    proc = subprocess.run(_cli("build", "-w", workspace.root, "--release-version", "1.0.0",
                               "--out", out), env=_env(), text=True, capture_output=True,
                          preexec_fn=limit, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "error: could not write " in proc.stderr
    assert "data/candidates/.shard-00000.partial: the file is too big for the file system" \
        in proc.stderr
    assert not out.exists() and _partials(out.parent) == []
    assert_kept(before, workspace.root)
    assert_no_leftovers(tmp_path)


def test_a_killed_builds_partial_folder_is_cleaned_by_the_next(workspace: Workspace,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "releases" / "1.0.0"
    out.parent.mkdir()
    killed = _stopped_build(workspace, out)
    killed.kill()
    killed.communicate(timeout=60)
    [left] = _partials(out.parent)
    assert left.name.startswith(f".1.0.0.partial-{killed.pid}") and any(left.rglob("*"))
    result = invoke("build", "-w", workspace.root, "--release-version", "1.0.0", "--out", out)
    assert result.exit_code == 0, result.output
    assert f"removed {left}, left by a killed build" in result.stdout
    assert_no_leftovers(out.parent)
    assert verify_release(out).ok
