"""Seed preparation: square crop and inpainting mask per seed (records in: Seed, SourceImage;
out: Crop, Mask; blobs: crop and mask PNGs), and contact sheets to check them by eye."""

from ._annotations import (
    CSV_COLUMNS,
    Annotation,
    AnnotationBox,
    Annotations,
    SeedAnnotation,
    load_annotations,
)
from ._contact_sheet import SheetItem, contact_sheet, sheet_filename
from ._crop import AutoPlacement, auto_box, box_around, center_box, check_box, crop_square
from ._mask import RenderedMask, render_mask
from ._params import (
    CropParams,
    EllipseMask,
    FileMask,
    FullMask,
    MaskSpec,
    PolygonMask,
    PrepareParams,
)
from ._png import encode_png
from ._stage import (
    PREPARE_LAYER,
    Prepared,
    check_annotations,
    check_mask_files,
    prepare_seed,
    prepare_seeds,
)

__all__ = [
    "CSV_COLUMNS",
    "PREPARE_LAYER",
    "Annotation",
    "AnnotationBox",
    "Annotations",
    "AutoPlacement",
    "CropParams",
    "EllipseMask",
    "FileMask",
    "FullMask",
    "MaskSpec",
    "PolygonMask",
    "PrepareParams",
    "Prepared",
    "RenderedMask",
    "SeedAnnotation",
    "SheetItem",
    "auto_box",
    "box_around",
    "center_box",
    "check_annotations",
    "check_box",
    "check_mask_files",
    "contact_sheet",
    "crop_square",
    "encode_png",
    "load_annotations",
    "prepare_seed",
    "prepare_seeds",
    "render_mask",
    "sheet_filename",
]
