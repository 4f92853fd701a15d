"""Importing the authors' <md5hash>.jpg folder: verification, idempotence, coverage, errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dermforge.errors import InputError
from dermforge.schemas import SourceImage
from dermforge.sources import demo_images_dir, import_folder
from dermforge.store import Workspace

CLI = [sys.executable, "-m", "dermforge"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def test_demo_import_verifies_stores_and_records(demo_workspace: Workspace, catalog) -> None:  # type: ignore[no-untyped-def]
    records = demo_workspace.read(SourceImage)
    assert len(records) == 48
    for record in records:
        assert record.sha256 is not None
        data = demo_workspace.blobs.read(record.sha256)
        assert record == catalog.by_id[record.source_id].model_copy(update={
            "sha256": record.sha256, "width": record.width, "height": record.height,
            "byte_size": len(data), "orientation": 1})
    labels = {r.label for r in records}
    assert labels == {"squamous cell carcinoma", "basal cell carcinoma"}


def test_second_import_adds_nothing(demo_workspace: Workspace, catalog) -> None:  # type: ignore[no-untyped-def]
    before = demo_workspace.manifest(SourceImage).path.read_bytes()
    report = import_folder(demo_images_dir(), demo_workspace, catalog)
    assert report.imported == [] and len(report.already) == 48 and report.ok
    assert demo_workspace.manifest(SourceImage).path.read_bytes() == before


def test_flipped_byte_is_reported_by_name_and_not_imported(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "images"
    shutil.copytree(demo_images_dir(), folder)
    victim = sorted(folder.glob("*.jpg"))[5]
    data = bytearray(victim.read_bytes())
    data[1000] ^= 0xFF
    victim.write_bytes(bytes(data))
    (folder / "notes.txt").write_text("hello")
    (folder / ("f" * 32 + ".jpg")).write_bytes(b"not in the csv")
    report = import_folder(folder, Workspace(tmp_path / "ws"), catalog)
    assert [name for name, _ in report.corrupted] == [victim.name]
    assert not report.ok
    assert len(report.imported) == 47
    assert set(report.unknown) == {"notes.txt", "f" * 32 + ".jpg"}


def test_missing_folder_is_a_clear_error(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="nope"):
        import_folder(tmp_path / "nope", Workspace(tmp_path / "ws"), catalog)


def test_cli_import_exit_code_and_coverage(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    shutil.copytree(demo_images_dir(), folder)
    victim = sorted(folder.glob("*.jpg"))[0]
    victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
    result = run_cli("sources", "import", str(folder), "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 1, result.stderr
    assert f"corrupted: {victim.name}" in result.stderr
    assert "47 verified, 1 corrupted, 0 refused, 47 imported" in result.stdout
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| ")]
    present = {cells[1].strip(): int(cells[-2].split("/")[0]) for cells in rows[1:]}
    assert sum(present.values()) == 47
    assert present["squamous cell carcinoma"] + present["basal cell carcinoma"] == 47
    assert "missing entirely (no image present): folliculitis, nematode infection" in result.stdout


@pytest.mark.shared_data
def test_import_all_shared_images(tmp_path: Path, shared_images: Path) -> None:
    result = run_cli("sources", "import", str(shared_images), "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 0, result.stderr
    assert "1,561 verified, 0 corrupted, 0 refused, 1,561 imported" in result.stdout
    assert ("missing entirely (no image present): nematode infection, "
            "neutrophilic dermatoses, psoriasis") in result.stdout
    again = run_cli("sources", "import", str(shared_images), "--workspace", str(tmp_path / "ws"))
    assert again.returncode == 0
    assert "0 imported, 1,561 already in the workspace" in again.stdout
    assert "nothing new to import" in again.stdout


@pytest.mark.shared_data
def test_shared_folder_with_one_flipped_byte_exits_1(tmp_path: Path, shared_images: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(shared_images, folder)
    victim = sorted(folder.glob("*.jpg"))[777]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    result = run_cli("sources", "import", str(folder), "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 1
    assert "1,560 verified, 1 corrupted" in result.stdout
    assert f"corrupted: {victim.name}" in result.stderr
