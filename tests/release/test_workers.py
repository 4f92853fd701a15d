"""Rows rendered in worker processes: the same bytes and the same errors as in one process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dermforge.builder import _index, _render, build_release, verify_release
from dermforge.curation import CurateParams
from dermforge.errors import RecordError, ReleaseError
from release.factory import Ready
from release.test_determinism import files
from release.test_rows import varied

needs_fork = pytest.mark.skipif(sys.platform != "linux",
                                reason="workers are forked on Linux only (elsewhere: 1)")


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers even for the test's 24 candidates, in chunks of 5 (so chunks and row
    groups do not line up), and the candidates scanned in a process of their own."""
    monkeypatch.setattr(_render, "PARALLEL_FROM", 0)
    monkeypatch.setattr(_render, "CHUNK_ROWS", 5)
    monkeypatch.setattr(_index, "SIDE_SCAN_FROM", 0)


@needs_fork
@pytest.mark.usefixtures("small_chunks")
def test_workers_do_not_change_a_byte(ready: Ready, tmp_path: Path) -> None:
    one = build_release(ready.workspace, version="1.0.0", out=tmp_path / "one", workers=1)
    two = build_release(ready.workspace, version="1.0.0", out=tmp_path / "two", workers=2)
    assert files(one.path) == files(two.path)
    assert one.release.counts == two.release.counts
    # with a previous release too (its rows are looked up from the workers)
    nexts = [build_release(ready.workspace, version="1.1.0", out=tmp_path / f"next-{n}",
                           previous=one.path, workers=n) for n in (1, 2)]
    assert files(nexts[0].path) == files(nexts[1].path)


@needs_fork
@pytest.mark.usefixtures("small_chunks")
def test_imports_text_to_image_and_a_team_rule_alike_in_workers(ready: Ready,
                                                                 tmp_path: Path) -> None:
    """Imports with their own prompt and generator metadata, text-to-image rows (no seeds
    row) and rows decided by several people under a rule: the same bytes, every row valid."""
    varied(ready)
    built = [build_release(ready.workspace, version="1.0.0", out=tmp_path / f"w{n}",
                           curate=CurateParams(rule="adjudicated"), workers=n) for n in (1, 2)]
    assert files(built[0].path) == files(built[1].path)
    assert verify_release(built[1].path).problems == []
    card = (built[1].path / "README.md").read_text()
    assert "**Rule `adjudicated`**" in card and "Krippendorff's alpha" in card


@needs_fork
@pytest.mark.usefixtures("small_chunks")
def test_a_workers_error_is_the_one_process_error(ready: Ready, tmp_path: Path) -> None:
    candidate = ready.populated.candidates[7]
    blob = ready.workspace.blobs.path(candidate.sha256)
    blob.chmod(0o644)
    blob.write_bytes(b"not the image any more")
    messages = _errors_in_one_and_two_workers(ready, tmp_path, ReleaseError)
    assert f"candidate {candidate.candidate_id}: its stored bytes do not match" in messages[1]
    assert "fix:" in messages[1]


@needs_fork
@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize(("bad", "named"), [
    (("candidates",), "candidates"), (("candidates", "verdicts"), "verdicts"),
    (("crops",), "crops"), (("masks", "candidates"), "candidates")])
def test_a_bad_record_is_named_alike_when_scanned_aside(ready: Ready, tmp_path: Path,
                                                        bad: tuple[str, ...], named: str) -> None:
    """A bad line in a file scanned aside (candidates, crops, masks, …) fails the build
    naming file and line, as in one process; with bad lines in two files, the error of the
    file one process scans first comes first (verdicts before candidates before masks)."""
    records = ready.workspace.records_dir
    for name in bad:
        path = records / f"{name}.jsonl"
        lines = path.read_text().splitlines(keepends=True)
        lines[3] = lines[3].replace('"', "'", 1)
        path.write_text("".join(lines))
    errors = _errors_in_one_and_two_workers(ready, tmp_path, RecordError)
    assert f"{named}.jsonl line 4: not a valid" in errors[1]


def _errors_in_one_and_two_workers(ready: Ready, tmp_path: Path,
                                   kind: type[Exception]) -> list[str]:
    """The messages of the builds with 1 and 2 workers, each failing with ``kind`` and
    leaving no release folder; the two must be the same."""
    messages = []
    for n in (1, 2):
        with pytest.raises(kind) as caught:
            build_release(ready.workspace, version="1.0.0", out=tmp_path / f"r{n}", workers=n)
        messages.append(str(caught.value))
        assert not (tmp_path / f"r{n}").exists()
    assert messages[0] == messages[1]
    return messages
