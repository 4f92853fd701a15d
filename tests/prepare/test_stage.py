"""prepare_seeds on the real demo images: records that validate, blobs that match, errors that
name the seed and field."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dermforge.errors import InputError, MissingInputError, RecordError
from dermforge.prepare import (
    CropParams,
    PrepareParams,
    SheetItem,
    contact_sheet,
    load_annotations,
    prepare_seeds,
)
from dermforge.prompts import DEFAULT_SKIN_TYPES, PromptParams, SlotOverrides, render_prompts
from dermforge.sampling import SeedParams, sample_seeds
from dermforge.schemas import Seed, SourceImage
from dermforge.sources import Catalog
from dermforge.store import Workspace

SMALL = PrepareParams(crop=CropParams(output_size=256))


def open_png(workspace: Workspace, sha: str) -> Image.Image:
    return Image.open(io.BytesIO(workspace.blobs.read(sha)))


def test_crops_and_masks_of_every_seed(seeded: tuple[Workspace, list[Seed]]) -> None:
    workspace, seeds = seeded
    prepared = prepare_seeds(workspace, seeds, SMALL)
    sources = {row.source_id: row for row in workspace.manifest(SourceImage)}
    assert [c.source_id for c in prepared.crops] == [s.source_id for s in seeds]
    for crop, mask in zip(prepared.crops, prepared.masks, strict=True):
        assert crop.source_sha256 == sources[crop.source_id].sha256
        assert workspace.blobs.verify(crop.sha256) and workspace.blobs.verify(mask.sha256)
        image = open_png(workspace, crop.sha256)
        assert image.size == (256, 256) and image.mode == "RGB"
        row = sources[crop.source_id]
        assert row.width is not None and row.height is not None
        assert crop.box.side == min(row.width, row.height)
        assert crop.box.left + crop.box.side <= row.width
        assert crop.box.top + crop.box.side <= row.height
        assert crop.method in ("auto", "center")
        alpha = np.asarray(open_png(workspace, mask.sha256).getchannel("A"))
        assert mask.crop_sha256 == crop.sha256 and mask.size == 256
        assert mask.editable_fraction == pytest.approx(float((alpha == 0).mean()), abs=1e-6)
        assert mask.method == "ellipse" and mask.editable == "outside"
        assert mask.params["spec_from"] == "params"


def test_same_inputs_same_records(seeded: tuple[Workspace, list[Seed]]) -> None:
    workspace, seeds = seeded
    assert prepare_seeds(workspace, seeds[:3], SMALL) == prepare_seeds(workspace, seeds[:3], SMALL)


def test_manual_box_mask_file_and_slots_from_annotations(
        seeded: tuple[Workspace, list[Seed]], tmp_path: Path) -> None:
    workspace, seeds = seeded
    seed = seeds[0]
    mask = Image.new("RGBA", (256, 256), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (64, 64, 192, 192))
    mask.save(tmp_path / "drawn.png")
    notes = tmp_path / "notes.yaml"
    notes.write_text(f"- source_id: {seed.source_id}\n  box: {{left: 10, top: 5, side: 80}}\n"
                     "  mask: {method: file, path: drawn.png}\n  body_part: back\n  noun: man\n")
    annotations = load_annotations(notes)
    prepared = prepare_seeds(workspace, seeds[:2], SMALL, annotations)
    crop, mask_record = prepared.crops[0], prepared.masks[0]
    assert crop.method == "manual" and (crop.box.left, crop.box.top, crop.box.side) == (10, 5, 80)
    assert crop.params["annotations_sha256"] == annotations.sha256
    source = open_png(workspace, str(crop.source_sha256)).convert("RGB")
    expected = source.crop((10, 5, 90, 85)).resize((256, 256), Image.Resampling.LANCZOS)
    assert open_png(workspace, crop.sha256).tobytes() == expected.tobytes()
    assert mask_record.method == "file" and mask_record.editable_fraction == 0.25
    assert mask_record.params["spec_from"] == "annotations"
    assert prepared.crops[1].method != "manual"
    spec = annotations.by_id[seed.source_id].spec
    prompt = render_prompts(seeds[:1], PromptParams(),
                            {seed.source_id: SlotOverrides(spec.body_part, spec.noun)})[0]
    skin = DEFAULT_SKIN_TYPES[seed.fitzpatrick]
    assert prompt.text == f"An image of squamous cell carcinoma on the back of a {skin} man."


def test_box_outside_the_image_names_file_line_seed_field(
        seeded: tuple[Workspace, list[Seed]], tmp_path: Path) -> None:
    workspace, seeds = seeded
    notes = tmp_path / "notes.csv"
    notes.write_text(f"source_id,left,top,side\n{seeds[1].source_id},0,0,5000\n")
    with pytest.raises(InputError) as caught:
        prepare_seeds(workspace, seeds, SMALL, load_annotations(notes))
    message = str(caught.value)
    assert message.startswith(f"{notes} line 2 (seed {seeds[1].source_id}): field 'box.left'/"
                              "'box.side': the square spans x = 0..5000, beyond the image width")


def test_annotation_for_an_unknown_seed(seeded: tuple[Workspace, list[Seed]],
                                        tmp_path: Path) -> None:
    workspace, seeds = seeded
    notes = tmp_path / "notes.csv"
    notes.write_text(f"source_id,noun\n{seeds[0].source_id},man\nfeedface,woman\n")
    with pytest.raises(RecordError) as caught:
        prepare_seeds(workspace, seeds, SMALL, load_annotations(notes))
    assert (caught.value.line, caught.value.field) == (3, "source_id")
    assert "seed 'feedface' is not one of the 16 seeds" in str(caught.value)


def test_seed_missing_from_the_workspace_is_named(demo_workspace: Workspace,
                                                  catalog: Catalog) -> None:
    seeds = sample_seeds(catalog, SeedParams(conditions=("psoriasis",), n_per_group=1))
    with pytest.raises(MissingInputError, match=rf"seed {seeds[0].source_id} \(psoriasis, FST "
                       r"\d\) is not in the workspace"):
        prepare_seeds(demo_workspace, seeds, SMALL)


def test_contact_sheet_is_a_deterministic_png(seeded: tuple[Workspace, list[Seed]]) -> None:
    workspace, seeds = seeded
    prepared = prepare_seeds(workspace, seeds[:5], SMALL)
    prompts = render_prompts(seeds[:5], PromptParams())
    items = [SheetItem(s, c, m, p, workspace.blobs.read(c.sha256), workspace.blobs.read(m.sha256))
             for s, c, m, p in zip(seeds, prepared.crops, prepared.masks, prompts, strict=False)]
    sheet = contact_sheet("squamous cell carcinoma", items)
    assert sheet == contact_sheet("squamous cell carcinoma", items)
    image = Image.open(io.BytesIO(sheet))
    assert image.format == "PNG" and image.width > 4 * 256 and image.height > 2 * 256
    # the regenerated region is tinted magenta: the corner of the first tile (outside the ellipse)
    r, g, b = image.convert("RGB").getpixel((14, 42))  # type: ignore[misc]
    assert r > g and b > g
