"""The prepare stage: for each seed, a square crop and its inpainting mask, stored as blobs."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image
from pydantic import JsonValue

from ..errors import MissingInputError, RecordError
from ..schemas import Crop, CropBox, Mask, Seed, SourceImage
from ..store import Workspace
from ._annotations import Annotation, Annotations
from ._crop import auto_box, check_box, crop_square
from ._mask import render_mask
from ._params import MaskSpec, PrepareParams
from ._png import encode_png

#: the blob layer of the prepare stage (crops and masks)
PREPARE_LAYER = "prepare"

__all__ = ["PREPARE_LAYER", "Prepared", "check_annotations", "prepare_seed", "prepare_seeds"]


@dataclass(frozen=True)
class Prepared:
    crops: list[Crop]
    masks: list[Mask]


def check_annotations(annotations: Annotations | None, seeds: Sequence[Seed]) -> None:
    """Every annotated source id must be one of the seeds."""
    if annotations is None:
        return
    ids = {seed.source_id for seed in seeds}
    for sid, annotation in annotations.by_id.items():
        if sid not in ids:
            raise RecordError(
                path=annotations.path, line=annotation.line, field="source_id",
                reason=f"seed {sid!r} is not one of the {len(ids)} seeds in seeds.jsonl",
                fix="correct the id, drop the row, or re-run `dermforge seeds sample`")


def _source_image(workspace: Workspace, row: SourceImage | None,
                  seed: Seed) -> tuple[Image.Image, str]:
    if row is None or row.sha256 is None:
        raise MissingInputError(
            f"seed {seed.source_id} ({seed.condition}, FST {seed.fitzpatrick}) is not in the "
            f"workspace {workspace.root}",
            fix="import its image (`dermforge sources import DIR -w WS`), or sample seeds with "
            "seeds.pool: workspace")
    image = Image.open(io.BytesIO(workspace.blobs.read(row.sha256)))
    image.load()
    return image, row.sha256


def _placement(
    image: Image.Image, params: PrepareParams, annotation: Annotation | None
) -> tuple[CropBox, Literal["manual", "auto", "center"], dict[str, JsonValue]]:
    details: dict[str, JsonValue] = {"source_size": [image.width, image.height]}
    if annotation is not None and annotation.spec.box is not None:
        box = annotation.spec.box.crop_box()
        check_box(box, image.width, image.height, annotation.where)
        details.update({"annotations": Path(annotation.path).name,
                        "annotations_sha256": annotation.file_sha256, "line": annotation.line})
        return box, "manual", details
    placement = auto_box(image, params.crop)
    details.update(placement.details)
    details["side_fraction"] = params.crop.side_fraction
    return placement.box, placement.method, details


def _mask_spec(seed: Seed, params: PrepareParams, annotation: Annotation | None,
               params_dir: Path) -> tuple[MaskSpec, Path, str, str]:
    """(spec, folder its file paths are relative to, where for errors, recorded origin)."""
    if annotation is not None and annotation.spec.mask is not None:
        return annotation.spec.mask, annotation.base_dir, annotation.where, "annotations"
    return params.mask, params_dir, f"seed {seed.source_id} (prepare.mask)", "params"


def prepare_seed(
    workspace: Workspace,
    seed: Seed,
    row: SourceImage | None,
    params: PrepareParams,
    annotation: Annotation | None = None,
    params_dir: Path = Path(),
) -> tuple[Crop, Mask]:
    """Crop and mask one seed; the PNGs go to the blob store, the records are returned."""
    image, source_sha = _source_image(workspace, row, seed)
    box, method, details = _placement(image, params, annotation)
    square = crop_square(image, box, params.crop.output_size)
    crop = Crop(source_id=seed.source_id, source_sha256=source_sha, box=box, method=method,
                output_size=params.crop.output_size,
                sha256=workspace.blobs.put(encode_png(square), layer=PREPARE_LAYER),
                params=details)
    spec, base_dir, where, origin = _mask_spec(seed, params, annotation, params_dir)
    rendered = render_mask(spec, square, base_dir, where)
    mask = Mask(source_id=seed.source_id, crop_sha256=crop.sha256, method=rendered.method,
                editable=rendered.editable, params={**rendered.params, "spec_from": origin},
                size=params.crop.output_size, editable_fraction=rendered.editable_fraction,
                sha256=workspace.blobs.put(rendered.png, layer=PREPARE_LAYER))
    return crop, mask


def prepare_seeds(
    workspace: Workspace,
    seeds: Sequence[Seed],
    params: PrepareParams,
    annotations: Annotations | None = None,
    params_dir: Path = Path(),
    on_seed: Callable[[Seed], None] | None = None,
) -> Prepared:
    """Crops and masks of every seed, in seed order. Blobs are written as they are made
    (content-addressed, so re-running rewrites nothing); the caller writes the records."""
    check_annotations(annotations, seeds)
    rows = {row.source_id: row for row in workspace.manifest(SourceImage)}
    crops: list[Crop] = []
    masks: list[Mask] = []
    for seed in seeds:
        annotation = annotations.by_id.get(seed.source_id) if annotations else None
        crop, mask = prepare_seed(workspace, seed, rows.get(seed.source_id), params,
                                  annotation, params_dir)
        crops.append(crop)
        masks.append(mask)
        if on_seed is not None:
            on_seed(seed)
    return Prepared(crops, masks)
