"""Import an image folder laid out as the authors distribute it: ``<md5hash>.jpg``.

:func:`store_source_image` (verify md5, store the blob, make the record) is shared with
the URL download, so an image gets the same record whichever way it arrived.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ..schemas import SourceImage
from ..store import Workspace
from ._catalog import Catalog

__all__ = ["SOURCES_LAYER", "ImageBytesError", "ImportReport", "import_folder", "md5_hex",
           "store_source_image"]

#: the blob layer of the sources stage (import and download)
SOURCES_LAYER = "sources"
_NAME = re.compile(r"^([0-9a-f]{32})\.jpe?g$")
_BATCH = 200


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class ImageBytesError(Exception):
    """Bytes that are not the image of a source row: ``md5_mismatch`` or ``not_image``."""

    def __init__(self, kind: Literal["md5_mismatch", "not_image"], detail: str, md5: str) -> None:
        self.kind = kind
        self.detail = detail
        self.md5 = md5
        super().__init__(detail)


def store_source_image(data: bytes, row: SourceImage, workspace: Workspace, *,
                       layer: str = SOURCES_LAYER) -> SourceImage:
    """Verify ``data`` is ``row``'s image, store it as a blob and return the completed record.

    Raises :class:`ImageBytesError` (nothing stored) when the md5 of the bytes differs from
    ``row.md5`` or the bytes do not decode as an image.
    """
    md5 = md5_hex(data)
    if md5 != row.md5:
        raise ImageBytesError(
            "md5_mismatch", f"md5 of the bytes is {md5}, the catalogue says {row.md5}", md5
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageBytesError("not_image", str(exc), md5) from None
    sha = workspace.blobs.put(data, layer=layer)
    return row.model_copy(
        update={"sha256": sha, "width": width, "height": height, "byte_size": len(data)}
    )


@dataclass
class ImportReport:
    """What an import found. ``ok`` is False when any file failed its md5 check."""

    folder: str
    verified: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    corrupted: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.corrupted and not self.unreadable


def import_folder(
    folder: Path,
    workspace: Workspace,
    catalog: Catalog,
    *,
    on_file: Callable[[str], None] | None = None,
) -> ImportReport:
    """Verify every ``<md5>.jpg`` against its name, store it and record it.

    Files whose md5 differs from their name are reported and not imported; files that
    are not in the catalogue are listed as unknown. Idempotent and resumable: records
    are appended in batches, and an image already recorded is verified but not re-added.
    """
    if not folder.is_dir():
        raise InputError(
            f"image folder {str(folder)!r} does not exist or is not a folder",
            fix="pass the folder that holds the <md5hash>.jpg files",
        )
    manifest = workspace.create().manifest(SourceImage)
    recorded = {row.source_id for row in manifest}
    report = ImportReport(folder=str(folder))
    pending: list[SourceImage] = []
    for name in sorted(os.listdir(folder)):
        path = folder / name
        if path.is_file():
            record = _import_one(path, name, workspace, catalog, recorded, report)
            if record is not None:
                pending.append(record)
                recorded.add(record.source_id)
        if on_file is not None:
            on_file(name)
        if len(pending) >= _BATCH:
            manifest.append(pending)
            pending = []
    manifest.append(pending)
    return report


def _import_one(
    path: Path,
    name: str,
    workspace: Workspace,
    catalog: Catalog,
    recorded: set[str],
    report: ImportReport,
) -> SourceImage | None:
    match = _NAME.match(name)
    if match is None or match.group(1) not in catalog:
        report.unknown.append(name)
        return None
    source_id = match.group(1)
    row = catalog.by_id[source_id]
    data = path.read_bytes()
    if source_id in recorded:
        md5 = md5_hex(data)
        if md5 != row.md5:
            report.corrupted.append((name, md5))
        else:
            report.verified.append(source_id)
            report.already.append(source_id)
        return None
    try:
        record = store_source_image(data, row, workspace)
    except ImageBytesError as exc:
        if exc.kind == "md5_mismatch":
            report.corrupted.append((name, exc.md5))
        else:
            report.verified.append(source_id)
            report.unreadable.append((name, exc.detail))
        return None
    report.verified.append(source_id)
    report.imported.append(source_id)
    return record
