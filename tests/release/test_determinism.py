"""Same inputs → byte-identical release; timestamps come from the inputs, never the clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dermforge.builder import build_release
from release.factory import Ready


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_building_twice_gives_identical_bytes(ready: Ready, tmp_path: Path) -> None:
    a = build_release(ready.workspace, version="1.0.0", out=tmp_path / "a").path
    b = build_release(ready.workspace, version="1.0.0", out=tmp_path / "b").path
    assert (a / "MANIFEST.json").read_bytes() == (b / "MANIFEST.json").read_bytes()
    assert files(a) == files(b)
    assert not list(tmp_path.glob(".*partial*"))  # no temporary folder left behind


def test_created_comes_from_the_newest_verdict_or_is_explicit(
        ready: Ready, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newest = max(v.decided_at for v in ready.verdicts)
    default = build_release(ready.workspace, version="1.0.0", out=tmp_path / "a").release
    assert default.created == newest
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    epoch = build_release(ready.workspace, version="1.0.0", out=tmp_path / "b").release
    assert epoch.created == datetime(2026, 1, 1, tzinfo=UTC)
    when = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    explicit = build_release(ready.workspace, version="1.0.0", out=tmp_path / "c",
                             created=when).release
    assert explicit.created == when
    card = (tmp_path / "c" / "README.md").read_text()
    assert "built 2026-03-01" in card
    assert json.loads((tmp_path / "c" / "croissant.json").read_text())[
        "datePublished"] == when.isoformat()
