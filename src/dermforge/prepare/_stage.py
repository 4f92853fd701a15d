"""The prepare stage: for each seed, a square crop and its inpainting mask, stored as blobs.

The stored source image is read by the one decoder (:func:`dermforge._images.decode_image`):
crops are cut from the **upright** image (its EXIF orientation applied, the frame of
``SourceImage.width``/``height`` and of manual boxes), in 8-bit RGB (16-bit greyscale scaled,
not clipped). ``Crop.params`` records ``exif_orientation`` when an orientation other than 1 was
applied and ``source_mode`` when 16-bit greyscale was scaled; an upright 8-bit image's record
is the same as before either existed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import JsonValue

from .._images import DecodedImage, decode_image
from ..errors import ImageError, MissingInputError, RecordError
from ..schemas import Crop, CropBox, Mask, Seed, SourceImage
from ..store import Workspace
from ._annotations import Annotation, Annotations
from ._crop import auto_box, check_box, crop_square
from ._mask import render_mask, shape_region
from ._params import FileMask, MaskSpec, PrepareParams
from ._png import encode_png

#: the blob layer of the prepare stage (crops and masks)
PREPARE_LAYER = "prepare"

__all__ = ["PREPARE_LAYER", "Prepared", "check_annotations", "check_mask_files", "prepare_seed",
           "prepare_seeds"]


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


def check_mask_files(seeds: Sequence[Seed], params: PrepareParams,
                     annotations: Annotations | None, params_dir: Path = Path()) -> None:
    """Decode every mask file the seeds use (``prepare.mask`` and the annotations) before
    anything is written: a missing, refused (bomb, truncated, …) or ill-fitting file is
    reported by name and no crop or mask blob is stored."""
    checked: set[Path] = set()
    for seed in seeds:
        annotation = annotations.by_id.get(seed.source_id) if annotations else None
        spec, base_dir, where, _ = _mask_spec(seed, params, annotation, params_dir)
        if isinstance(spec, FileMask) and (base_dir / spec.path) not in checked:
            checked.add(base_dir / spec.path)
            shape_region(spec, params.crop.output_size, base_dir, where)


def _source_image(workspace: Workspace, row: SourceImage | None,
                  seed: Seed) -> tuple[DecodedImage, str]:
    """The seed's stored image, decoded by the one decoder: upright, 8-bit RGB(A)."""
    if row is None or row.sha256 is None:
        raise MissingInputError(
            f"seed {seed.source_id} ({seed.condition}, FST {seed.fitzpatrick}) is not in the "
            f"workspace {workspace.root}",
            fix="import its image (`dermforge sources import DIR -w WS`), or sample seeds with "
            "seeds.pool: workspace")
    name = f"the source image of seed {seed.source_id} ({workspace.blobs.path(row.sha256)})"
    try:
        decoded = decode_image(workspace.blobs.read(row.sha256), name)
    except ImageError as exc:
        raise ImageError(name, exc.kind, exc.reason,
                         fix="it was imported before dermforge decoded images in full: "
                         "sample the seeds again without it (or give it a manual crop from an "
                         "intact copy)") from None
    return decoded, row.sha256


def _placement(
    decoded: DecodedImage, params: PrepareParams, annotation: Annotation | None
) -> tuple[CropBox, Literal["manual", "auto", "center"], dict[str, JsonValue]]:
    image = decoded.image
    details: dict[str, JsonValue] = {"source_size": [image.width, image.height]}
    if decoded.orientation != 1:  # recorded only when applied: upright images keep old records
        details["exif_orientation"] = decoded.orientation
    if decoded.scaled_to_8bit:
        details["source_mode"] = decoded.stored_mode
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
    decoded, source_sha = _source_image(workspace, row, seed)
    box, method, details = _placement(decoded, params, annotation)
    square = crop_square(decoded.image, box, params.crop.output_size)
    spec, base_dir, where, origin = _mask_spec(seed, params, annotation, params_dir)
    rendered = render_mask(spec, square, base_dir, where)  # before any blob is written
    crop = Crop(source_id=seed.source_id, source_sha256=source_sha, box=box, method=method,
                output_size=params.crop.output_size,
                sha256=workspace.blobs.put(encode_png(square), layer=PREPARE_LAYER),
                params=details)
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
    check_mask_files(seeds, params, annotations, params_dir)
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
