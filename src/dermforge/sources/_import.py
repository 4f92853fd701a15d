"""Import an image folder laid out as the authors distribute it: ``<md5hash>.jpg``."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ..schemas import SourceImage
from ..store import Workspace
from ._catalog import Catalog

__all__ = ["ImportReport", "import_folder"]

_NAME = re.compile(r"^([0-9a-f]{32})\.jpe?g$")
_BATCH = 200


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


def _hash_file(path: Path) -> tuple[str, str]:
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


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
    md5, sha = _hash_file(path)
    if md5 != source_id:
        report.corrupted.append((name, md5))
        return None
    report.verified.append(source_id)
    if source_id in recorded:
        report.already.append(source_id)
        return None
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as exc:
        report.unreadable.append((name, str(exc)))
        return None
    stored = workspace.blobs.put_file(path)
    if stored != sha:
        report.corrupted.append((name, f"changed while importing (sha256 {stored})"))
        return None
    report.imported.append(source_id)
    return catalog.by_id[source_id].model_copy(
        update={"sha256": sha, "width": width, "height": height, "byte_size": path.stat().st_size}
    )
