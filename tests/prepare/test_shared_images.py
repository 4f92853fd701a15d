"""On the real Fitzpatrick 17k images (../shared/data): 8 + 8 squamous cell carcinoma seeds →
16 crops, 16 masks, 16 prompts whose records validate and whose hashes match the stored files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from dermforge.cli import app
from dermforge.prompts import DEFAULT_SKIN_TYPES
from dermforge.sampling import SeedParams, sample_seeds
from dermforge.schemas import Crop, Mask, Prompt, Seed, SourceImage
from dermforge.sources import Catalog, import_folder
from dermforge.store import Workspace, sha256_file

SCC = "squamous cell carcinoma"
PARAMS = "seeds:\n  conditions: [squamous cell carcinoma]\n  pool: workspace\n"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


@pytest.mark.shared_data
def test_scc_seeds_crops_masks_prompts_on_the_real_images(
        shared_images: Path, catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "scc"
    folder.mkdir()
    for row in catalog.with_label([SCC]):
        if row.fitzpatrick not in (1, 2, 5, 6):
            continue
        (folder / f"{row.source_id}.jpg").symlink_to(shared_images / f"{row.source_id}.jpg")
    workspace = Workspace(tmp_path / "ws")
    report = import_folder(folder, workspace, catalog)
    assert report.ok and len(report.imported) == 280 + 63
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS)
    ws = str(workspace.root)
    invoke("seeds", "sample", "-w", ws, "--params", str(params))
    invoke("prepare", "-w", ws, "--params", str(params))

    seeds = workspace.read(Seed)
    # every SCC image is present, so the workspace pool draws what the CSV pool draws
    assert [s.source_id for s in seeds] == [
        s.source_id for s in sample_seeds(catalog, SeedParams(conditions=(SCC,)))]
    assert [s.group for s in seeds] == ["I-II"] * 8 + ["V-VI"] * 8
    crops, masks, prompts = workspace.read(Crop), workspace.read(Mask), workspace.read(Prompt)
    assert len(crops) == len(masks) == len(prompts) == 16
    sources = {row.source_id: row for row in workspace.read(SourceImage)}
    for seed, crop, mask, prompt in zip(seeds, crops, masks, prompts, strict=True):
        assert seed.source_id == crop.source_id == mask.source_id == prompt.source_id
        original = shared_images / f"{seed.source_id}.jpg"
        assert crop.source_sha256 == sources[seed.source_id].sha256 == sha256_file(original)
        assert sha256_file(workspace.blobs.path(crop.sha256)) == crop.sha256
        assert sha256_file(workspace.blobs.path(mask.sha256)) == mask.sha256
        assert mask.crop_sha256 == crop.sha256
        with Image.open(io.BytesIO(workspace.blobs.read(crop.sha256))) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "RGB", (1024, 1024))
        with Image.open(io.BytesIO(workspace.blobs.read(mask.sha256))) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (1024, 1024))
        assert 0.0 < mask.editable_fraction < 1.0
        assert prompt.text == (f"An image of squamous cell carcinoma on the skin of a "
                               f"{DEFAULT_SKIN_TYPES[seed.fitzpatrick]} person.")
    sheet = workspace.reports_dir / "prepare" / "contact-sheet-squamous-cell-carcinoma.png"
    assert Image.open(sheet).size[0] > 1000

    before = {p.name: p.read_bytes() for p in workspace.records_dir.glob("*.jsonl")}
    invoke("seeds", "sample", "-w", ws, "--params", str(params))
    invoke("prepare", "-w", ws, "--params", str(params))
    assert {p.name: p.read_bytes() for p in workspace.records_dir.glob("*.jsonl")} == before
