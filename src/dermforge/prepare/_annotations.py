"""Per-seed annotations: a manual crop box, body part, noun and mask, from YAML or CSV.

YAML: a list of mappings::

    - source_id: 0ab1…            # required
      box: {left: 40, top: 12, side: 300}     # or width + height (must be equal)
      body_part: forearm
      noun: man
      mask: {method: ellipse, editable: outside, rx: 0.3, ry: 0.25}

CSV: columns ``source_id,left,top,side,width,height,body_part,noun,mask,editable`` (all but
source_id optional; empty cells mean "not given"). ``mask`` holds a method name (``full``) or a
YAML mapping (``"{method: polygon, points: [[0.1,0.1],[0.9,0.2],[0.5,0.9]]}"``).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import pydantic
import yaml
from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from .._params import Params, yaml_tuples
from .._text import decode_utf8
from ..errors import InputError, RecordError
from ..schemas import CropBox
from ..store import format_validation_error
from ._params import MaskSpec

__all__ = ["CSV_COLUMNS", "Annotation", "AnnotationBox", "Annotations", "SeedAnnotation",
           "load_annotations"]

CSV_COLUMNS = ("source_id", "left", "top", "side", "width", "height", "body_part", "noun",
               "mask", "editable")
_BOX_KEYS = ("left", "top", "side", "width", "height")


class AnnotationBox(Params):
    """A square in source pixels: ``side``, or ``width`` and ``height`` that must be equal."""

    left: NonNegativeInt
    top: NonNegativeInt
    side: PositiveInt | None = None
    width: PositiveInt | None = None
    height: PositiveInt | None = None

    @model_validator(mode="after")
    def _square(self) -> Self:
        sizes = {k: v for k, v in (("side", self.side), ("width", self.width),
                                   ("height", self.height)) if v is not None}
        if not sizes:
            raise ValueError("give the square's side (or width and height)")
        if self.side is None and (self.width is None or self.height is None):
            raise ValueError("give side, or both width and height")
        if len(set(sizes.values())) > 1:
            shown = ", ".join(f"{k} {v}" for k, v in sizes.items())
            raise ValueError(f"the box is not square ({shown}); crops must be square")
        return self

    def crop_box(self) -> CropBox:
        side = self.side if self.side is not None else self.width
        assert side is not None  # checked by _square
        return CropBox(left=self.left, top=self.top, side=side)


class SeedAnnotation(Params):
    source_id: str = Field(min_length=1)
    box: AnnotationBox | None = None
    body_part: str | None = Field(default=None, min_length=1)
    noun: str | None = Field(default=None, min_length=1)
    mask: MaskSpec | None = None


@dataclass(frozen=True)
class Annotation:
    """One seed's annotation, with the file it came from (mask paths are relative to it)."""

    spec: SeedAnnotation
    path: str
    line: int
    file_sha256: str
    base_dir: Path

    @property
    def where(self) -> str:
        return f"{self.path} line {self.line} (seed {self.spec.source_id})"


@dataclass(frozen=True)
class Annotations:
    """A parsed annotations file; mask files named in it are relative to ``base_dir``."""

    path: str
    sha256: str
    base_dir: Path
    by_id: dict[str, Annotation]


def load_annotations(path: Path) -> Annotations:
    """Parse and validate; any problem raises naming the file, line, seed and field."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"annotations file {str(path)!r} does not exist",
                         fix="correct prepare.annotations (relative to the params file) or "
                         "--annotations") from None
    except IsADirectoryError:
        raise InputError(f"annotations file {str(path)!r} is a folder, not a file",
                         fix="point prepare.annotations or --annotations at the file") from None
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise InputError(f"annotations file {str(path)!r}: unknown format {suffix!r}",
                         fix="use a .yaml/.yml or .csv file")
    text = decode_utf8(data, str(path), "annotations file")
    yaml_file = suffix != ".csv"
    raw = _yaml_rows(text, str(path)) if yaml_file else _csv_rows(text, str(path))
    digest = hashlib.sha256(data).hexdigest()
    by_id: dict[str, Annotation] = {}
    for line, row in raw:
        annotation = Annotation(_validate(row, str(path), line, strict=yaml_file), str(path),
                                line, digest, path.parent)
        sid = annotation.spec.source_id
        if sid in by_id:
            raise RecordError(path=str(path), line=line, field="source_id",
                              reason=f"seed {sid!r} is annotated twice (first on line "
                              f"{by_id[sid].line})", fix="keep one row per seed")
        by_id[sid] = annotation
    return Annotations(str(path), digest, path.parent, by_id)


def _validate(row: Any, path: str, line: int, *, strict: bool) -> SeedAnnotation:
    """YAML rows are typed, so they are validated strictly (as params.yaml: no ``true`` for a
    number, no quoted numbers); CSV cells are text, converted by the field types."""
    sid = row.get("source_id") if isinstance(row, dict) else None
    try:
        if strict:
            return SeedAnnotation.model_validate(yaml_tuples(row), strict=True)
        return SeedAnnotation.model_validate(row)
    except pydantic.ValidationError as exc:
        field, reason = format_validation_error(exc)
        who = f"seed {sid}: " if sid else ""
        raise RecordError(path=path, line=line, field=field, reason=f"{who}{reason}",
                          fix="correct that field of the annotation") from None


def _yaml_rows(text: str, path: str) -> list[tuple[int, Any]]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"annotations file {path!r} is not valid YAML: {exc}",
                         fix="correct the YAML at the position shown") from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise RecordError(path=path, line=1, field=None,
                          reason=f"expected a list of seed annotations, got "
                          f"{type(data).__name__}", fix="write one `- source_id: …` item per seed")
    return [(item.start_mark.line + 1, row) for item, row in zip(node.value, data, strict=True)]


def _csv_rows(text: str, path: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = list(reader.fieldnames or [])
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown or "source_id" not in columns:
        raise RecordError(path=path, line=1, field=None,
                          reason=f"unknown column(s) {unknown}" if unknown
                          else "no source_id column",
                          fix=f"use the columns {','.join(CSV_COLUMNS)} (source_id required)")
    rows: list[tuple[int, Any]] = []
    line_end = 1
    for raw in reader:
        line, line_end = line_end + 1, reader.line_num
        cells = {k: v.strip() for k, v in raw.items() if k is not None and v and v.strip()}
        rows.append((line, _csv_record(cells, path, line)))
    return rows


def _csv_record(cells: dict[str, str], path: str, line: int) -> dict[str, Any]:
    record: dict[str, Any] = {k: cells[k] for k in ("source_id", "body_part", "noun")
                              if k in cells}
    box = {k: cells[k] for k in _BOX_KEYS if k in cells}
    if box:
        record["box"] = box
    if "mask" in cells:
        try:
            mask = yaml.safe_load(cells["mask"])
        except yaml.YAMLError as exc:
            raise RecordError(path=path, line=line, field="mask",
                              reason=f"not a method name or YAML mapping: {exc}",
                              fix="write e.g. full, or \"{method: ellipse, rx: 0.3}\"") from None
        record["mask"] = {"method": mask} if isinstance(mask, str) else mask
    if "editable" in cells:
        if not isinstance(record.get("mask"), dict):
            raise RecordError(path=path, line=line, field="editable",
                              reason="editable is given without a mask",
                              fix="give the mask column too (e.g. ellipse)")
        record["mask"]["editable"] = cells["editable"]
    return record
