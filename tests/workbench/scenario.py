"""A curation workspace made from the real demo images, with candidates whose signals are known.

Seeds, splits, crops, masks and prompts come from the real stages (sampling, prepare,
prompts); the 8 candidates of each seed are made here from its crop, one per known case:

    0 mild      the crop, slightly brightened outside the mask's shape
    1 flipped   mirrored left-right
    2 darkened  ×0.35: its skin falls into a darker ITA group
    3 blurred   Gaussian blur (radius 4): less sharp than the seed
    4 copy      the crop's exact pixels: a seed copy
    5 leak      the centre square of a test-split image: a test leak
    6 warmer    red +12, blue −12
    7 rotated   rotated by 90°
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from PIL import Image, ImageFilter

from dermforge.prepare import CropParams, PrepareParams, prepare_seed
from dermforge.prompts import PromptParams, render_prompts
from dermforge.sampling import SeedParams, SplitParams, build_splits, sample_seeds
from dermforge.schemas import (
    Candidate,
    Crop,
    GenerationRequest,
    Mask,
    Prompt,
    Seed,
    SourceImage,
    SplitMembership,
    candidate_id,
)
from dermforge.sources import Catalog
from dermforge.store import Workspace

CONDITIONS = ("squamous cell carcinoma", "basal cell carcinoma")
VARIANTS = ("mild", "flipped", "darkened", "blurred", "copy", "leak", "warmer", "rotated")
BASE_TIME = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class Scenario:
    workspace: Workspace
    seeds: list[Seed]
    crops: dict[str, Crop] = field(default_factory=dict)
    masks: dict[str, Mask] = field(default_factory=dict)
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # seed id → 8
    leak_source: dict[str, str] = field(default_factory=dict)  # seed id → test source id

    def variant(self, seed_id: str, name: str) -> Candidate:
        return self.candidates[seed_id][VARIANTS.index(name)]

    @property
    def all_candidates(self) -> list[Candidate]:
        return [c for seed in self.seeds for c in self.candidates[seed.source_id]]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _scaled(image: Image.Image, factor: float) -> Image.Image:
    array = np.asarray(image.convert("RGB"), dtype=np.float64) * factor
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _shifted(image: Image.Image) -> Image.Image:
    array = np.asarray(image.convert("RGB"), dtype=np.int16) + np.array([12, 0, -12])
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _outside_brighter(crop: Image.Image, mask: Image.Image) -> Image.Image:
    editable = np.asarray(mask.getchannel("A")) == 0
    array = np.asarray(crop.convert("RGB"), dtype=np.float64)
    array[editable] *= 1.04
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _variants(crop: Image.Image, mask: Image.Image,
              leak: Image.Image) -> list[Image.Image]:
    side = crop.width
    makers: list[Callable[[], Image.Image]] = [
        lambda: _outside_brighter(crop, mask),
        lambda: crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        lambda: _scaled(crop, 0.35),
        lambda: crop.filter(ImageFilter.GaussianBlur(4)),
        lambda: crop.copy(),
        lambda: _center_square(leak).resize((side, side), Image.Resampling.LANCZOS),
        lambda: _shifted(crop),
        lambda: crop.transpose(Image.Transpose.ROTATE_90),
    ]
    return [make().convert("RGB") for make in makers]


def _center_square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.convert("RGB").crop((left, top, left + side, top + side))


def _blob_image(workspace: Workspace, sha: str) -> Image.Image:
    image = Image.open(io.BytesIO(workspace.blobs.read(sha)))
    image.load()
    return image


def build_scenario(workspace: Workspace, catalog: Catalog, *, per_group: int = 1,
                   size: int = 128) -> Scenario:
    """Seeds (per_group per condition × FST I-II/V-VI), splits, crops, masks, prompts, and
    the 8 known variants of each seed, written as records."""
    present = {row.source_id for row in workspace.manifest(SourceImage)}
    seeds = sample_seeds(catalog, SeedParams(conditions=CONDITIONS, n_per_group=per_group,
                                             pool="workspace"), present)
    splits = build_splits(catalog, seeds, SplitParams(conditions=CONDITIONS, pool="workspace"),
                          present)
    workspace.manifest(Seed).rewrite(seeds)
    workspace.manifest(SplitMembership).rewrite(splits)
    sources = {row.source_id: row for row in workspace.manifest(SourceImage)}
    params = PrepareParams(crop=CropParams(output_size=size))
    prompts = {p.source_id: p for p in render_prompts(seeds, PromptParams())}
    scenario = Scenario(workspace, seeds)
    requests = []
    for rank, seed in enumerate(seeds):
        crop, mask = prepare_seed(workspace, seed, sources[seed.source_id], params)
        scenario.crops[seed.source_id], scenario.masks[seed.source_id] = crop, mask
        leak_id = _test_image_for(splits, seed)
        scenario.leak_source[seed.source_id] = leak_id
        leak_sha = sources[leak_id].sha256
        assert leak_sha is not None
        images = _variants(_blob_image(workspace, crop.sha256),
                           _blob_image(workspace, mask.sha256),
                           _blob_image(workspace, leak_sha))
        request = GenerationRequest.create(
            source_id=seed.source_id, backend="test-variants", model="known-cases-v1",
            operation="edit", prompt=prompts[seed.source_id].text, image_sha256=crop.sha256,
            mask_sha256=mask.sha256, size=f"{size}x{size}", n=len(images),
            parameters={"variants": list(VARIANTS)})
        requests.append(request)
        scenario.candidates[seed.source_id] = [
            Candidate(candidate_id=candidate_id(request.request_id, i),
                      request_id=request.request_id, index=i, source_id=seed.source_id,
                      backend=request.backend, model=request.model,
                      sha256=workspace.blobs.put(png(image), layer="generate"),
                      width=size, height=size,
                      format="png", created=BASE_TIME + timedelta(minutes=rank, seconds=i),
                      cost_usd=0.0, metadata={"variant": VARIANTS[i]})
            for i, image in enumerate(images)]
    workspace.manifest(Crop).rewrite(list(scenario.crops.values()))
    workspace.manifest(Mask).rewrite(list(scenario.masks.values()))
    workspace.manifest(Prompt).rewrite([prompts[s.source_id] for s in seeds])
    workspace.manifest(GenerationRequest).rewrite(requests)
    workspace.manifest(Candidate).rewrite(scenario.all_candidates)
    return scenario


def _test_image_for(splits: list[SplitMembership], seed: Seed) -> str:
    """A test-split image of the seed's condition (the first by source id)."""
    tests = sorted(m.source_id for m in splits
                   if m.role == "test" and m.condition == seed.condition)
    return tests[0]
