"""The ``import`` backend: adopt images made elsewhere (a web editor, by hand).

Two layouts, each giving per image the seed's ``source_id``, the ``prompt`` used, the
``model`` name (historical names such as ``dall-e-2`` are fine here), the ``date`` it was made
and the ``operator`` who made it — or, for a **text-to-image** image made with no seed
photograph, instead of ``source_id`` the ``condition`` and the ``fitzpatrick`` type (1-6) it
is meant to show (operation ``text-to-image``; see :mod:`._import_row`):

- a folder of images (``.png``, ``.jpg``, ``.jpeg``, ``.webp``), each with a sidecar
  ``<same name>.json`` holding those five keys;
- a CSV with the columns ``file,source_id,prompt,model,date,operator`` (``file`` relative to
  the CSV's folder).

Either may also state ``digital_source_type`` (a sidecar key or a CSV column; the IPTC term,
e.g. ``trainedAlgorithmicMedia``, or its NewsCodes URI): a signed release labels the image
with it instead of the default for imports (``compositeWithTrainedAlgorithmicMedia``).

What the image's own file recorded is read too (:mod:`._embedded`: Stable Diffusion WebUI's
``parameters``, ComfyUI's ``prompt`` / ``workflow``, a C2PA manifest) and kept whole as the
candidate metadata's ``generator_metadata`` (a :class:`~dermforge.schemas.GeneratorMetadata`).
Precedence: a sidecar key or CSV cell wins (``prompt``, ``model``, ``digital_source_type``);
else a valid C2PA manifest's digital source type; else WebUI's, then ComfyUI's prompt and
model and their text-to-image / img2img type. ``prompt`` and ``model`` may be omitted (or
left empty) where the file states them; ``date``, ``operator`` and ``source_id`` (or
``condition`` + ``fitzpatrick``) may not.

Every file must lie inside its folder (the folder, or the CSV's folder): an absolute path, a
path that leads outside (``../outside/x.png``) and a symbolic link (image or sidecar) are
refused by name. Every image is decoded in full by the one decoder
(:func:`dermforge._images.decode_image`: bombs, truncated files, unsupported modes, sides
under 64 px are refused).

Everything is checked before anything is written: every problem is listed with its file or
row, and nothing is imported. A refused file (path, link or image) makes it a
:class:`~dermforge._images.RefusedFileError` (exit 1, like a corrupted file); otherwise (a
missing sidecar, a bad field) an :class:`~dermforge.errors.InputError` (exit 2). Each image
becomes one request with ``n = 1``; re-importing the same file for the same seed (or the same
condition and type) is a no-op.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic

from .._images import decode_image
from .._paper import PAPER_CONDITIONS
from .._text import decode_utf8
from ..errors import ImageError, InputError, RefusedFileError
from ..schemas import GenerationRequest
from ..store import format_validation_error
from ._embedded import read_embedded
from ._import_row import ImportRow, seed_or_text_to_image
from ._protocol import (
    GeneratedImage,
    GenerationError,
    GenerationResult,
    RequestInputs,
    SeedInputs,
)

__all__ = ["IMPORT_COLUMNS", "ImportBackend", "ImportItem", "read_import_source"]

IMPORT_COLUMNS = ("file", "source_id", "prompt", "model", "date", "operator")
#: the columns of a text-to-image CSV (no seed photograph)
TEXT_TO_IMAGE_COLUMNS = ("file", "condition", "fitzpatrick", "prompt", "model", "date",
                         "operator")
#: prompt and model may be left out where every image's own metadata states them; a CSV
#: names seeds (source_id) or states condition and fitzpatrick (text-to-image), or both kinds
_REQUIRED_COLUMNS = ("file", "date", "operator")
_TEXT_TO_IMAGE_COLUMNS = ("condition", "fitzpatrick")  # instead of source_id
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_MAX_LISTED = 20


@dataclass(frozen=True)
class ImportItem:
    """One image to adopt, checked: readable, hashed, with its provenance."""

    path: Path
    where: str
    source_id: str | None
    prompt: str
    model: str
    made: datetime
    operator: str
    sha256: str
    width: int
    height: int
    digital_source_type: str | None = None
    #: what the file itself recorded (a GeneratorMetadata as JSON); None when nothing
    generator_metadata: dict[str, Any] | None = None
    #: (condition, fitzpatrick) of a text-to-image image (no seed); None when seeded
    text_to_image: tuple[str | None, int | None] | None = None


@dataclass
class _Problems:
    """Every problem of an import source; ``refused`` ones are files refused by name."""

    invalid: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def raise_if_any(self, source: Path) -> None:
        problems = self.refused + self.invalid
        if not problems:
            return
        shown = "\n  - ".join(problems[:_MAX_LISTED])
        more = (f"\n  … and {len(problems) - _MAX_LISTED} more"
                if len(problems) > _MAX_LISTED else "")
        message = (f"{len(problems)} problem(s) in import source {source}; nothing was "
                   f"imported:\n  - {shown}{more}")
        fix = "correct each file or row listed, then run the import again"
        if self.refused:
            raise RefusedFileError(message, fix=fix + " (copy refused files themselves into "
                                   "the folder, as intact PNG, JPEG or WebP images)")
        raise InputError(message, fix=fix)


def _check_image(path: Path, where: str) -> tuple[bytes, str, int, int]:
    data = path.read_bytes()
    decoded = decode_image(data, where)
    return data, decoded.format.lower(), decoded.width, decoded.height


def _item(path: Path, where: str, raw: dict[str, Any], problems: _Problems) -> ImportItem | None:
    try:
        row = ImportRow.model_validate(raw)
    except pydantic.ValidationError as exc:
        field_name, reason = format_validation_error(exc)
        problems.invalid.append(f"{where}: field {field_name!r}: {reason}")
        return None
    if (wrong := seed_or_text_to_image(row)) is not None:
        problems.invalid.append(f"{where}: {wrong}")
        return None
    try:
        data, fmt, width, height = _check_image(path, where)
    except FileNotFoundError:
        problems.invalid.append(f"{where}: image file {str(path)!r} does not exist")
        return None
    except OSError as exc:
        problems.refused.append(f"{where}: image file {str(path)!r} cannot be read "
                                f"({exc.strerror or exc})")
        return None
    except ImageError as exc:
        problems.refused.append(f"{where}: image {path.name!r} refused: {exc.reason}")
        return None
    embedded = read_embedded(data, fmt, where)
    prompt, model = row.prompt or embedded.prompt, row.model or embedded.model
    source_type, meta = embedded.adopt(where, row.source_id, row.digital_source_type)
    label = (row.condition, row.fitzpatrick) if row.source_id is None else None
    problems.invalid += embedded.problems
    for name, value in (("prompt", prompt), ("model", model)):
        if not value and not embedded.problems:
            problems.invalid.append(f"{where}: field {name!r}: not given, and the image's own "
                                    "metadata states none; add it to the sidecar or CSV row")
    if embedded.problems or not prompt or not model:
        return None
    return ImportItem(path=path, where=where, source_id=row.source_id, prompt=prompt,
                      model=model, made=row.date, operator=row.operator,
                      sha256=hashlib.sha256(data).hexdigest(), width=width, height=height,
                      digital_source_type=source_type, generator_metadata=meta,
                      text_to_image=label)


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _from_folder(folder: Path, problems: _Problems) -> list[ImportItem]:
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    wanted = (*_IMAGE_SUFFIXES, ".json")
    for link in (p for p in entries if p.is_symlink() and p.suffix.lower() in wanted):
        problems.refused.append(f"{link.name}: is a symbolic link (to {_link_target(link)!r}); "
                                "only files inside the folder itself are imported")
    files = [p for p in entries if not p.is_symlink() and p.is_file()]
    images = [p for p in files if p.suffix.lower() in _IMAGE_SUFFIXES]
    stems = {p.with_suffix("") for p in entries if p.suffix.lower() in _IMAGE_SUFFIXES}
    for sidecar in (p for p in files if p.suffix.lower() == ".json"):
        if sidecar.with_suffix("") not in stems:
            problems.invalid.append(f"sidecar {sidecar.name}: no image named {sidecar.stem}.* "
                                    "beside it")
    items = []
    for image in images:
        if (raw := _sidecar(image, problems)) is not None:
            where = f"{image.name} (sidecar {image.with_suffix('.json').name})"
            if (item := _item(image, where, raw, problems)) is not None:
                items.append(item)
    return items


def _sidecar(image: Path, problems: _Problems) -> dict[str, Any] | None:
    sidecar = image.with_suffix(".json")
    where = f"{image.name} (sidecar {sidecar.name})"
    if sidecar.is_symlink():
        return None  # refused above, with the other links
    try:
        raw = json.loads(decode_utf8(sidecar.read_bytes(), str(sidecar), "sidecar"))
    except FileNotFoundError:
        problems.invalid.append(f"{image.name}: no sidecar {sidecar.name} with its provenance")
        return None
    except InputError as exc:  # not UTF-8
        problems.invalid.append(f"{where}: {exc.message}")
        return None
    except json.JSONDecodeError as exc:
        problems.invalid.append(f"{where}: not valid JSON ({exc})")
        return None
    if not isinstance(raw, dict):
        problems.invalid.append(f"{where}: must hold a JSON object with {IMPORT_COLUMNS[1:]}")
        return None
    return raw


def _inside(root: Path, name: str, where: str, problems: _Problems) -> Path | None:
    """``root / name`` when it is a regular path inside ``root``; else a refusal."""
    if Path(name).is_absolute():
        problems.refused.append(f"{where}: file {name!r} is an absolute path; give it relative "
                                f"to the CSV's folder {str(root)!r}")
        return None
    path = root / name
    if path.is_symlink():
        problems.refused.append(f"{where}: file {name!r} is a symbolic link (to "
                                f"{_link_target(path)!r}); only files inside the CSV's folder "
                                "are imported")
        return None
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        problems.refused.append(f"{where}: file {name!r} leads outside the CSV's folder "
                                f"{str(root)!r} (to {str(resolved)!r})")
        return None
    return path


def _from_csv(path: Path, problems: _Problems) -> list[ImportItem]:
    text = decode_utf8(path.read_bytes(), str(path), "import CSV")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if "source_id" not in header and any(c not in header for c in _TEXT_TO_IMAGE_COLUMNS):
        missing.append("source_id (or condition and fitzpatrick, for text-to-image images)")
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)} (has "
                         f"{reader.fieldnames})",
                         fix=f"use the header {','.join(IMPORT_COLUMNS)} (images made from "
                         f"seeds) or {','.join(TEXT_TO_IMAGE_COLUMNS)} (text-to-image)")
    items = []
    for line, row in enumerate(reader, start=2):
        where = f"{path.name} row {line}"
        name = (row.pop("file") or "").strip()
        if not name:
            problems.invalid.append(f"{where}: field 'file' is empty")
            continue
        image = _inside(path.parent, name, where, problems)
        where = f"{where} ({name})"
        if image is not None and (item := _item(image, where, dict(row), problems)) is not None:
            items.append(item)
    return items


def read_import_source(source: Path) -> list[ImportItem]:
    """Check and list every image of a folder-with-sidecars or a CSV (see module doc)."""
    problems = _Problems()
    if source.is_dir():
        items = _from_folder(source, problems)
    elif source.is_file() and source.suffix.lower() == ".csv":
        items = _from_csv(source, problems)
    else:
        raise InputError(f"import source {str(source)!r} is neither a folder nor a .csv file",
                         fix="pass a folder of images with .json sidecars, or a CSV with "
                             f"columns {','.join(IMPORT_COLUMNS)}")
    problems.raise_if_any(source)
    if not items:
        raise InputError(f"import source {str(source)!r} holds no images",
                         fix="add images (.png/.jpg/.webp) with their sidecars or CSV rows")
    return items


def _raise_problems(source: Path, problems: list[str]) -> None:
    _Problems(invalid=problems).raise_if_any(source)


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
        seeded = [item for item in self.items if item.source_id is not None]
        problems = [f"{item.where}: field 'source_id': {item.source_id!r} is not a seed of "
                    "this workspace; use a seed's source_id (records/seeds.jsonl), or leave it "
                    "empty and state condition and fitzpatrick for a text-to-image image"
                    for item in seeded if item.source_id not in by_id]
        problems += [f"{item.where}: seed {item.source_id} has no crop and no stored source "
                     "image to record as the input" for item in seeded
                     if item.source_id in by_id and _input_sha(by_id[item.source_id]) is None]
        problems += _unknown_conditions(self.items, {s.seed.condition for s in seeds})
        _raise_problems(self.source, problems)
        requests = []
        for item in self.items:
            request = _request(item, by_id, self.name)
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
        stated: dict[str, Any] = {}
        if item.digital_source_type:
            stated["digital_source_type"] = item.digital_source_type
        if item.generator_metadata is not None:
            stated["generator_metadata"] = item.generator_metadata
        image = GeneratedImage.from_bytes(data, {"operator": item.operator,
                                                 "file_name": item.path.name,
                                                 "imported_from": item.where, **stated})
        return GenerationResult(images=[image], created=item.made, cost_usd=None,
                                metadata={"imported_at": datetime.now(UTC).isoformat()})

    async def aclose(self) -> None:
        return None


def _request(item: ImportItem, by_id: dict[str, SeedInputs], backend: str,
             ) -> GenerationRequest:
    """The import's request: for the seed the item names, or text-to-image (no seed)."""
    common: dict[str, Any] = {
        "backend": backend, "model": item.model, "prompt": item.prompt,
        "size": f"{item.width}x{item.height}", "n": 1, "quality": None,
        "parameters": {"file_sha256": item.sha256}}
    if item.text_to_image is not None:
        condition, fitzpatrick = item.text_to_image
        return GenerationRequest.create(
            source_id=None, operation="text-to-image", image_sha256=None, mask_sha256=None,
            condition=condition, fitzpatrick=fitzpatrick, **common)
    seed = by_id[str(item.source_id)]
    return GenerationRequest.create(
        source_id=item.source_id, operation="import", image_sha256=_input_sha(seed),
        mask_sha256=seed.mask.sha256 if seed.mask is not None else None, **common)


def _unknown_conditions(items: Sequence[ImportItem], workspace: set[str]) -> list[str]:
    """A text-to-image row's condition must be one the workspace or the paper knows (so the
    release's ``condition`` label is one of its classes, not a typo of one)."""
    known = set(PAPER_CONDITIONS) | workspace
    return [f"{item.where}: field 'condition': {item.text_to_image[0]!r} is not a condition "
            f"of this workspace or of the paper; use one of {', '.join(sorted(known))}"
            for item in items
            if item.text_to_image is not None and item.text_to_image[0] not in known]


def _input_sha(seed: SeedInputs) -> str | None:
    if seed.crop is not None:
        return seed.crop.sha256
    return seed.source.sha256 if seed.source is not None else None
