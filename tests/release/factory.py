"""Write a workspace's records directly — seeds, crops, masks, prompts, requests, candidates,
splits, verdicts — as the pipeline stages would, with small generated PNGs.

Used by tests/release, tests/curation and bench/bench_build.py. The stages that normally write
these records (sampling, prepare, generation) are not called: the builder and the curation
tools must work from the records alone.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dermforge.schemas import (
    Candidate,
    Crop,
    CropBox,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    PromptSlots,
    SamplingSpec,
    Seed,
    SourceImage,
    SplitMembership,
    candidate_id,
    fst_group,
)
from dermforge.sources import demo_images_dir, import_folder, load_catalog
from dermforge.store import Workspace

BASE_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TEMPLATE = "An image of {condition_phrase} on the {body_part} of a {skin_type_description} {noun}."
SKIN = {"I-II": "light-skinned", "III-IV": "medium-skinned", "V-VI": "dark-skinned"}
LICENSE = "CC BY-NC-SA 3.0"

Put = Callable[[bytes], str]


@dataclass
class Populated:
    seeds: list[Seed] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    requests: list[GenerationRequest] = field(default_factory=list)


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def noise(key: str, size: int, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))
    return rng.integers(0, 256, size=(size, size, channels), dtype=np.uint8)


def seed_sources(workspace: Workspace, per_cell: int,
                 conditions: Sequence[str] | None = None) -> list[SourceImage]:
    """The first ``per_cell`` images (by source id) of each condition × FST group present."""
    cells: dict[tuple[str, str], list[SourceImage]] = {}
    for row in sorted(workspace.manifest(SourceImage), key=lambda r: r.source_id):
        if row.fitzpatrick is None or (conditions and row.label not in conditions):
            continue
        cells.setdefault((row.label, fst_group(row.fitzpatrick)), []).append(row)
    return [row for key in sorted(cells) for row in cells[key][:per_cell]]


def fake_sources(workspace: Workspace, n: int, conditions: Sequence[str], size: int,
                 put: Put | None = None, *, first: int = 0) -> list[SourceImage]:
    """``n`` made-up source images (dataset 'bench'), skin types cycling I, II, V, VI;
    ``first`` numbers them from there (to add sources to a workspace that has some)."""
    put = put or functools.partial(workspace.blobs.put, layer="factory")
    rows = []
    for i in range(first, first + n):
        sha = put(png(noise(f"source-{i}", size)))
        md5 = hashlib.md5(f"source-{i}".encode(), usedforsecurity=False).hexdigest()
        rows.append(SourceImage(
            dataset="bench", source_id=md5, md5=md5, label=conditions[i % len(conditions)],
            fitzpatrick=(1, 2, 5, 6)[(i // len(conditions)) % 4], fitzpatrick_centaur=None,
            nine_partition_label="x", three_partition_label="x", qc=None,
            url=f"https://example.org/img/{i}.jpg", license=LICENSE, csv_line=i + 2,
            sha256=sha, width=size, height=size, byte_size=None))
    workspace.create().manifest(SourceImage).append(rows)
    return rows


def populate(
    workspace: Workspace,
    sources: Sequence[SourceImage],
    *,
    candidates_per_seed: int = 3,
    size: int = 32,
    put: Put | None = None,
) -> Populated:
    """Seeds, crop, mask, prompt, one request and its candidates for every source."""
    put = put or functools.partial(workspace.blobs.put, layer="factory")
    out = Populated()
    crops, masks, prompts = [], [], []
    for rank, source in enumerate(sources):
        assert source.fitzpatrick is not None and source.sha256 is not None
        group = fst_group(source.fitzpatrick)
        out.seeds.append(_seed(source, rank, len(sources)))
        crop = _crop(workspace, source, size, put)
        mask = _mask(crop, size, put)
        prompt = _prompt(source, group)
        request = GenerationRequest.create(
            source_id=source.source_id, backend="classic", model="classic-noise-v1",
            operation="edit", prompt=prompt.text, image_sha256=crop.sha256,
            mask_sha256=mask.sha256, size=f"{size}x{size}", n=candidates_per_seed,
            parameters={"strength": 0.5})
        crops.append(crop)
        masks.append(mask)
        prompts.append(prompt)
        out.requests.append(request)
        for index in range(candidates_per_seed):
            cid = candidate_id(request.request_id, index)
            sha = put(png(noise(cid, size)))
            out.candidates.append(Candidate(
                candidate_id=cid, request_id=request.request_id, index=index,
                source_id=source.source_id, backend=request.backend, model=request.model,
                sha256=sha, width=size, height=size, format="png",
                created=BASE_TIME + timedelta(minutes=rank, seconds=index),
                cost_usd=0.0, metadata={"variation_seed": index}))
    workspace.create()
    workspace.manifest(Seed).append(out.seeds)
    workspace.manifest(Crop).append(crops)
    workspace.manifest(Mask).append(masks)
    workspace.manifest(Prompt).append(prompts)
    workspace.manifest(GenerationRequest).append(out.requests)
    workspace.manifest(Candidate).append(out.candidates)
    return out


def _seed(source: SourceImage, rank: int, pool: int) -> Seed:
    assert source.fitzpatrick is not None
    group = fst_group(source.fitzpatrick)
    spec = SamplingSpec(method="sha256-rank", rng_seed=2022, n_per_group=8,
                        condition=source.label, group=group, pool="workspace",
                        pool_size=pool, params_sha256="ab" * 32)
    return Seed(source_id=source.source_id, dataset=source.dataset, condition=source.label,
                fitzpatrick=source.fitzpatrick, group=group, rank=rank, sampling=spec)


def _crop(workspace: Workspace, source: SourceImage, size: int, put: Put) -> Crop:
    assert source.sha256 is not None
    with Image.open(io.BytesIO(workspace.blobs.read(source.sha256))) as image:
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        square = image.convert("RGB").crop((left, top, left + side, top + side))
        sha = put(png(np.asarray(square.resize((size, size)))))
    return Crop(source_id=source.source_id, source_sha256=source.sha256,
                box=CropBox(left=left, top=top, side=side), method="center",
                output_size=size, sha256=sha)


def _mask(crop: Crop, size: int, put: Put) -> Mask:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    ImageDraw.Draw(image).ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4),
                                  fill=(0, 0, 0, 0))
    alpha = np.asarray(image)[:, :, 3]
    fraction = float((alpha == 0).mean())
    return Mask(source_id=crop.source_id, crop_sha256=crop.sha256, method="ellipse",
                editable="inside", params={"rx": 0.25, "ry": 0.25}, size=size,
                editable_fraction=fraction, sha256=put(png(np.asarray(image))))


def _prompt(source: SourceImage, group: str) -> Prompt:
    slots = PromptSlots(condition_phrase=source.label, body_part="arm",
                        skin_type_description=SKIN[group], noun="person")
    return Prompt(source_id=source.source_id, template_version="sagers-2022",
                  template=TEMPLATE, slots=slots, text=TEMPLATE.format(**slots.model_dump()))


def write_splits(workspace: Workspace, seeds: Iterable[Seed],
                 train_groups: Sequence[str] = ("I-II", "V-VI")) -> list[SplitMembership]:
    """The paper's grid over every source in the workspace: seeds are never ``test``."""
    seed_ids = {s.source_id for s in seeds}
    rows = []
    sources = sorted(workspace.manifest(SourceImage), key=lambda r: r.source_id)
    for train in train_groups:
        for src in sources:
            if src.fitzpatrick is None:
                continue
            group = fst_group(src.fitzpatrick)
            role = "train" if group == train else ("seed" if src.source_id in seed_ids
                                                   else "test")
            rows.append(SplitMembership(source_id=src.source_id, experiment=f"train-{train}",
                                        role=role, condition=src.label,
                                        fitzpatrick=src.fitzpatrick, fst_group=group))
    workspace.manifest(SplitMembership).rewrite(rows)
    return rows


def decide(candidates: Iterable[Candidate], accept_per_seed: int, *, reviewer: str = "rev-a",
           at: datetime = BASE_TIME + timedelta(days=1)) -> list[CurationVerdict]:
    """Accept the first ``accept_per_seed`` candidates of each seed, reject the others."""
    seen: dict[str, int] = {}
    verdicts = []
    for c in candidates:
        n = seen.get(c.source_id, 0)
        seen[c.source_id] = n + 1
        accept = n < accept_per_seed
        verdicts.append(CurationVerdict(
            candidate_id=c.candidate_id, decision="accept" if accept else "reject",
            reason_codes=() if accept else ("artifact",), photorealism=4 if accept else 2,
            consistency=4 if accept else 3, reviewer=reviewer, decided_at=at,
            note="" if accept else "smudged border"))
    return verdicts


@dataclass
class Ready:
    workspace: Workspace
    populated: Populated
    verdicts: list[CurationVerdict]


def make_ready(root: Path) -> Ready:
    """8 seeds (SCC, BCC × FST I-II, V-VI × 2), 3 candidates each, 2 accepted per seed."""
    workspace = Workspace(root)
    import_folder(demo_images_dir(), workspace, load_catalog())
    populated = populate(workspace, seed_sources(workspace, per_cell=2), candidates_per_seed=3)
    write_splits(workspace, populated.seeds)
    verdicts = decide(populated.candidates, accept_per_seed=2)
    workspace.manifest(CurationVerdict).append(verdicts)
    return Ready(workspace, populated, verdicts)


def next_version(workspace: Workspace, *, flip: int, add_seeds: int, conditions: Sequence[str],
                 candidates_per_seed: int, accept_per_seed: int, size: int,
                 put: Put | None = None) -> None:
    """What a maintainer does between two releases: flip the latest verdict of ``flip``
    candidates spread evenly over the workspace (decided a day later), and add ``add_seeds``
    new seeds with their candidates and verdicts (the splits are rewritten to include them)."""
    verdicts = {v.candidate_id: v for v in workspace.manifest(CurationVerdict)}
    ids = sorted(verdicts)
    later = max(v.decided_at for v in verdicts.values()) + timedelta(days=1)
    flipped = []
    for cid in ids[:: max(1, len(ids) // max(1, flip))][:flip]:
        old = verdicts[cid]
        accept = old.decision != "accept"
        flipped.append(old.model_copy(update={
            "decision": "accept" if accept else "reject",
            "reason_codes": () if accept else ("artifact",), "decided_at": later}))
    first = sum(1 for _ in workspace.manifest(SourceImage))
    sources = fake_sources(workspace, add_seeds, conditions, size, put, first=first)
    added = populate(workspace, sources, candidates_per_seed=candidates_per_seed, size=size,
                     put=put)
    write_splits(workspace, [*workspace.manifest(Seed)])
    workspace.manifest(CurationVerdict).append(
        [*flipped, *decide(added.candidates, accept_per_seed, at=later)])
