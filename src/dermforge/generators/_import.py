"""The ``import`` backend: adopt images made elsewhere (a web editor, by hand).

Two layouts, each giving per image the seed's ``source_id``, the ``prompt`` used, the
``model`` name (historical names such as ``dall-e-2`` are fine here), the ``date`` it was made
and the ``operator`` who made it:

- a folder of images (``.png``, ``.jpg``, ``.jpeg``, ``.webp``), each with a sidecar
  ``<same name>.json`` holding those five keys;
- a CSV with the columns ``file,source_id,prompt,model,date,operator`` (``file`` relative to
  the CSV's folder).

Everything is checked before anything is written: an unreadable image, a missing sidecar, a
bad field or a seed the workspace does not know is an :class:`~dermforge.errors.InputError`
listing every problem with its file or row, and nothing is imported. Each image becomes
one request with ``n = 1``; re-importing the same file for the same seed is a no-op.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from datetime import date as Date
from pathlib import Path
from typing import Any

import pydantic
from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ..schemas import GenerationRequest
from ..store import format_validation_error
from ._protocol import (
    GeneratedImage,
    GenerationError,
    GenerationResult,
    RequestInputs,
    SeedInputs,
)

__all__ = ["IMPORT_COLUMNS", "ImportBackend", "ImportItem", "read_import_source"]

IMPORT_COLUMNS = ("file", "source_id", "prompt", "model", "date", "operator")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_MAX_LISTED = 20
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Row(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    source_id: str = pydantic.Field(min_length=1)
    prompt: str = pydantic.Field(min_length=1)
    model: str = pydantic.Field(min_length=1)
    date: datetime
    operator: str = pydantic.Field(min_length=1)

    @pydantic.field_validator("date", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        """A bare YYYY-MM-DD is that day at 00:00 UTC."""
        if isinstance(value, str) and _DAY.fullmatch(value.strip()):
            return datetime.combine(Date.fromisoformat(value.strip()), time(0, 0), tzinfo=UTC)
        return value

    @pydantic.field_validator("date")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("a date-time needs a time zone (e.g. 2022-08-15T10:00:00Z)")
        return value.astimezone(UTC)


@dataclass(frozen=True)
class ImportItem:
    """One image to adopt, checked: readable, hashed, with its provenance."""

    path: Path
    where: str
    source_id: str
    prompt: str
    model: str
    made: datetime
    operator: str
    sha256: str
    width: int
    height: int


def _check_image(path: Path) -> tuple[str, int, int]:
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "WEBP"):
                raise ValueError(f"format {image.format!r} is not PNG, JPEG or WebP")
            image.load()
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValueError(f"not a readable image ({exc})") from None
    return hashlib.sha256(data).hexdigest(), width, height


def _item(path: Path, where: str, raw: dict[str, Any], problems: list[str]) -> ImportItem | None:
    try:
        row = _Row.model_validate(raw)
    except pydantic.ValidationError as exc:
        field, reason = format_validation_error(exc)
        problems.append(f"{where}: field {field!r}: {reason}")
        return None
    try:
        sha, width, height = _check_image(path)
    except FileNotFoundError:
        problems.append(f"{where}: image file {str(path)!r} does not exist")
        return None
    except (OSError, ValueError) as exc:
        problems.append(f"{where}: image file {str(path)!r} is {exc}")
        return None
    return ImportItem(path=path, where=where, source_id=row.source_id, prompt=row.prompt,
                      model=row.model, made=row.date, operator=row.operator,
                      sha256=sha, width=width, height=height)


def _from_folder(folder: Path, problems: list[str]) -> list[ImportItem]:
    items = []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if p.suffix.lower() in _IMAGE_SUFFIXES]
    stems = {p.with_suffix("") for p in images}
    for sidecar in (p for p in files if p.suffix.lower() == ".json"):
        if sidecar.with_suffix("") not in stems:
            problems.append(f"sidecar {sidecar.name}: no image named {sidecar.stem}.* beside it")
    for image in images:
        sidecar = image.with_suffix(".json")
        where = f"{image.name} (sidecar {sidecar.name})"
        try:
            raw = json.loads(sidecar.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"{image.name}: no sidecar {sidecar.name} with its provenance")
            continue
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{where}: not valid JSON ({exc})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{where}: must hold a JSON object with {IMPORT_COLUMNS[1:]}")
            continue
        if (item := _item(image, where, raw, problems)) is not None:
            items.append(item)
    return items


def _from_csv(path: Path, problems: list[str]) -> list[ImportItem]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in IMPORT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)} (has "
                             f"{reader.fieldnames})",
                             fix=f"use the header {','.join(IMPORT_COLUMNS)}")
        items = []
        for line, row in enumerate(reader, start=2):
            where = f"{path.name} row {line}"
            name = (row.pop("file") or "").strip()
            if not name:
                problems.append(f"{where}: field 'file' is empty")
                continue
            if (item := _item(path.parent / name, where, dict(row), problems)) is not None:
                items.append(item)
    return items


def read_import_source(source: Path) -> list[ImportItem]:
    """Check and list every image of a folder-with-sidecars or a CSV (see module doc)."""
    problems: list[str] = []
    if source.is_dir():
        items = _from_folder(source, problems)
    elif source.is_file() and source.suffix.lower() == ".csv":
        items = _from_csv(source, problems)
    else:
        raise InputError(f"import source {str(source)!r} is neither a folder nor a .csv file",
                         fix="pass a folder of images with .json sidecars, or a CSV with "
                             f"columns {','.join(IMPORT_COLUMNS)}")
    _raise_problems(source, problems)
    if not items:
        raise InputError(f"import source {str(source)!r} holds no images",
                         fix="add images (.png/.jpg/.webp) with their sidecars or CSV rows")
    return items


def _raise_problems(source: Path, problems: list[str]) -> None:
    if not problems:
        return
    shown = "\n  - ".join(problems[:_MAX_LISTED])
    more = f"\n  … and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
    raise InputError(f"{len(problems)} problem(s) in import source {source}; nothing was "
                     f"imported:\n  - {shown}{more}",
                     fix="correct each file or row listed, then run the import again")


class ImportBackend:
    """Adopts existing images as candidates, with the provenance their sidecars give."""

    name = "import"
    paid = False

    def __init__(self, *, source: Path | str) -> None:
        self.source = Path(source)
        self.items = read_import_source(self.source)
        self._by_request: dict[str, ImportItem] = {}

    def __repr__(self) -> str:
        return f"ImportBackend(source={str(self.source)!r}, images={len(self.items)})"

    def plan(self, seeds: Sequence[SeedInputs], n: int) -> list[GenerationRequest]:
        by_id = {s.source_id: s for s in seeds}
        problems = [f"{item.where}: source_id {item.source_id!r} is not a seed of this "
                    "workspace" for item in self.items if item.source_id not in by_id]
        problems += [f"{item.where}: seed {item.source_id} has no crop and no stored source "
                     "image to record as the input" for item in self.items
                     if item.source_id in by_id and _input_sha(by_id[item.source_id]) is None]
        _raise_problems(self.source, problems)
        requests = []
        for item in self.items:
            seed = by_id[item.source_id]
            request = GenerationRequest.create(
                source_id=item.source_id, backend=self.name, model=item.model,
                operation="import", prompt=item.prompt, image_sha256=_input_sha(seed),
                mask_sha256=seed.mask.sha256 if seed.mask is not None else None,
                size=f"{item.width}x{item.height}", n=1, quality=None,
                parameters={"file_sha256": item.sha256},
            )
            self._by_request[request.request_id] = item
            requests.append(request)
        return requests

    def price_per_image(self, request: GenerationRequest) -> float | None:
        return 0.0

    async def generate(self, request: GenerationRequest, inputs: RequestInputs,
                       ) -> GenerationResult:
        item = self._by_request.get(request.request_id)
        if item is None:
            raise GenerationError("bad_request", f"request {request.request_id[:12]} was not "
                                  "planned by this import", permanent=True)
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            raise GenerationError("unreadable_file", f"{item.where}: {exc}",
                                  permanent=True) from None
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise GenerationError("unreadable_file", f"{item.where}: the file changed while "
                                  "it was being imported", permanent=False)
        image = GeneratedImage.from_bytes(data, {"operator": item.operator,
                                                 "file_name": item.path.name,
                                                 "imported_from": item.where})
        return GenerationResult(images=[image], created=item.made, cost_usd=None,
                                metadata={"imported_at": datetime.now(UTC).isoformat()})

    async def aclose(self) -> None:
        return None


def _input_sha(seed: SeedInputs) -> str | None:
    if seed.crop is not None:
        return seed.crop.sha256
    return seed.source.sha256 if seed.source is not None else None
