"""Fixtures of the generation tests: workspaces with prepared seeds, and the images server.

The seed records (Seed, Crop, Mask, Prompt) are written here from the demo workspace's real
images — square centre crops and ellipse RGBA masks — exactly as the prepare stage records
them, so these tests do not depend on that stage's code.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dermforge.schemas import (
    Crop,
    CropBox,
    Mask,
    Prompt,
    PromptSlots,
    SamplingSpec,
    Seed,
    SourceImage,
    fst_group,
)
from dermforge.store import Workspace
from servers.openai_server import Faults, OpenAIImagesServer

TEMPLATE = "An image of {condition_phrase} on the {body_part} of a {skin_type_description} {noun}."
BLOCKED_WORD = "BLOCKME"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ellipse_mask(side: int, editable: str) -> Image.Image:
    """RGBA mask; alpha 0 = editable: inside a centred ellipse, or outside it."""
    alpha = Image.new("L", (side, side), 255 if editable == "inside" else 0)
    r = int(side * 0.3)
    ImageDraw.Draw(alpha).ellipse((side // 2 - r, side // 2 - r, side // 2 + r, side // 2 + r),
                                  fill=0 if editable == "inside" else 255)
    mask = Image.new("RGBA", (side, side), (0, 0, 0, 255))
    mask.putalpha(alpha)
    return mask


def prepare_seeds(ws: Workspace, count: int, side: int, *, editable: str = "outside",
                  blocked: int | None = None) -> list[str]:
    """Write Seed/Crop/Mask/Prompt records for ``count`` demo images; return source ids.

    ``blocked``: index of the seed whose prompt carries BLOCKED_WORD (moderation fault).
    """
    sources = [s for s in ws.manifest(SourceImage) if s.fitzpatrick is not None][:count]
    assert len(sources) == count
    seeds, crops, masks, prompts = [], [], [], []
    for rank, src in enumerate(sources):
        assert src.sha256 is not None and src.fitzpatrick is not None
        with Image.open(ws.blobs.path(src.sha256)) as img:
            rgb = img.convert("RGB")
        w, h = rgb.size
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        crop_png = _png(rgb.crop((left, top, left + s, top + s)).resize((side, side)))
        crop_sha = ws.blobs.put(crop_png, layer="prepare")
        mask_img = ellipse_mask(side, editable)
        mask_sha = ws.blobs.put(_png(mask_img), layer="prepare")
        fraction = float((np.asarray(mask_img.getchannel("A")) == 0).mean())
        group = fst_group(src.fitzpatrick)
        seeds.append(Seed(source_id=src.source_id, dataset="fitzpatrick17k",
                          condition=src.label, fitzpatrick=src.fitzpatrick, group=group,
                          rank=rank, sampling=SamplingSpec(
                              method="sha256-rank", rng_seed=1, n_per_group=count,
                              condition=src.label, group=group, pool="workspace",
                              pool_size=48, params_sha256="0" * 64)))
        crops.append(Crop(source_id=src.source_id, source_sha256=src.sha256,
                          box=CropBox(left=left, top=top, side=s), method="center",
                          output_size=side, sha256=crop_sha))
        masks.append(Mask(source_id=src.source_id, crop_sha256=crop_sha, method="ellipse",
                          editable=editable, params={"r": 0.3}, size=side,
                          editable_fraction=fraction, sha256=mask_sha))
        slots = PromptSlots(condition_phrase=src.label, body_part="arm",
                            skin_type_description="fair-skinned", noun="person")
        text = TEMPLATE.format(**slots.model_dump())
        if rank == blocked:
            text = f"{text} {BLOCKED_WORD}"
        prompts.append(Prompt(source_id=src.source_id, template_version="test-v1",
                              template=TEMPLATE, slots=slots, text=text))
    ws.manifest(Seed).append(seeds)
    ws.manifest(Crop).append(crops)
    ws.manifest(Mask).append(masks)
    ws.manifest(Prompt).append(prompts)
    return [s.source_id for s in sources]


@pytest.fixture
def seeded(demo_workspace: Workspace) -> Workspace:
    """16 prepared seeds, 256 px crops, editable outside the ellipse; seed 5 is blocked."""
    prepare_seeds(demo_workspace, 16, 256, blocked=5)
    return demo_workspace


@pytest.fixture
def server() -> Iterator[OpenAIImagesServer]:
    with OpenAIImagesServer(faults=Faults()) as srv:
        yield srv


def workspace_bytes(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random diffusers inpainting pipeline folder (built once per session)."""
    import importlib.util

    from needs import require

    require(importlib.util.find_spec("diffusers") is not None,
            "the diffusers extra is not installed (pip install -e '.[dev]')")
    from .tiny_diffusers import build_tiny_inpainting_pipeline

    return build_tiny_inpainting_pipeline(tmp_path_factory.mktemp("tiny-diffusers"))


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A real two-node local Ray cluster (head + one worker node), one per test module."""
    import importlib.util

    from needs import require

    require(importlib.util.find_spec("ray") is not None,
            "the ray extra is not installed (pip install -e '.[dev]')")
    from .ray_cluster import local_ray_cluster

    with local_ray_cluster() as address:
        yield address
