"""Import an image folder laid out as the authors distribute it: ``<md5hash>.jpg``.

:func:`store_source_image` (verify md5, decode the image in full, store the blob, make the
record) is shared with the URL download, so an image gets the same record whichever way it
arrived. An image the one decoder (:func:`dermforge._images.decode_image`) refuses (a bomb,
a truncated or corrupt file, an unsupported mode, a side under 64 px) is reported by name
like a corrupted file and never stored.

Nothing is half-stored: a blob is written only after its image decoded, records are appended
in all-or-none batches after their blobs, and if the disk refuses a write (full, file too
big) the records of the blobs already stored are appended, the blobs of a batch whose records
could not be written are removed again, and a :class:`~dermforge.errors.StorageError` names
the file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .._images import decode_image
from ..errors import ImageError, InputError, StorageError
from ..schemas import SourceImage
from ..store import Manifest, Workspace
from ._catalog import Catalog

__all__ = ["SOURCES_LAYER", "ImageBytesError", "ImportReport", "check_source_image",
           "import_folder", "md5_hex", "store_source_image"]

#: the blob layer of the sources stage (import and download)
SOURCES_LAYER = "sources"
_NAME = re.compile(r"^([0-9a-f]{32})\.jpe?g$")
_BATCH = 200
#: threads that read and decode images ahead of the one that stores them
_WORKERS = min(4, os.cpu_count() or 1)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class ImageBytesError(Exception):
    """Bytes that are not the image of a source row: ``md5_mismatch``, or ``not_image`` (the
    decoder refused them; ``image_error`` says why)."""

    def __init__(self, kind: Literal["md5_mismatch", "not_image"], detail: str, md5: str,
                 image_error: ImageError | None = None) -> None:
        self.kind = kind
        self.detail = detail
        self.md5 = md5
        self.image_error = image_error
        super().__init__(detail)


def check_source_image(data: bytes, row: SourceImage, name: str | None = None) -> SourceImage:
    """The completed record of ``row`` for ``data`` (sha256, upright width and height, byte
    size, EXIF orientation), after checking the md5 and decoding the image in full; nothing
    is stored. Raises :class:`ImageBytesError`; ``name`` (default: the source id) is how
    the decoder names the bytes."""
    md5 = md5_hex(data)
    if md5 != row.md5:
        raise ImageBytesError(
            "md5_mismatch", f"md5 of the bytes is {md5}, the catalogue says {row.md5}", md5
        )
    try:
        decoded = decode_image(data, name or row.source_id)
    except ImageError as exc:
        raise ImageBytesError("not_image", exc.reason, md5, exc) from None
    return row.model_copy(update={
        "sha256": hashlib.sha256(data).hexdigest(), "width": decoded.width,
        "height": decoded.height, "byte_size": len(data), "orientation": decoded.orientation})


def store_source_image(data: bytes, row: SourceImage, workspace: Workspace, *,
                       layer: str = SOURCES_LAYER, name: str | None = None) -> SourceImage:
    """Verify ``data`` is ``row``'s image (:func:`check_source_image`), store it as a blob and
    return the completed record.

    Raises :class:`ImageBytesError` (nothing stored) when the md5 of the bytes differs from
    ``row.md5`` or the image is refused by the decoder; a disk that refuses the write raises
    :class:`~dermforge.errors.StorageError` (nothing half-written).
    """
    record = check_source_image(data, row, name)
    workspace.blobs.put(data, layer=layer)
    return record


@dataclass
class ImportReport:
    """What an import found. ``ok`` is False when any file failed its md5 check
    (``corrupted``: name, md5 of its bytes) or was refused (``refused``: name, why)."""

    folder: str
    verified: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    corrupted: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.corrupted and not self.refused


class _Batch:
    """Records waiting to be appended, and the blobs this run created for them."""

    def __init__(self, manifest: Manifest[SourceImage], workspace: Workspace) -> None:
        self.manifest = manifest
        self.workspace = workspace
        self.records: list[SourceImage] = []
        self.names: list[str] = []
        self.fresh: list[str] = []

    def __len__(self) -> int:
        return len(self.records)

    def store(self, name: str, data: bytes, record: SourceImage) -> None:
        assert record.sha256 is not None  # set by check_source_image
        if not self.workspace.blobs.has(record.sha256):
            self.fresh.append(record.sha256)
        self.workspace.blobs.put(data, layer=SOURCES_LAYER)
        self.records.append(record)
        self.names.append(name)

    def flush(self) -> None:
        """Append the records (all or none); if the disk refuses, remove the blobs this run
        created for them, so no blob is left without its record."""
        try:
            self.manifest.append(self.records)
        except StorageError as exc:
            for sha in self.fresh:
                found = self.workspace.blobs.find(sha)
                if found is not None:
                    found.unlink(missing_ok=True)
            names = ", ".join(self.names[:5]) + (", …" if len(self.names) > 5 else "")
            raise StorageError(
                f"could not record the {len(self.records)} image(s) imported last ({names}): "
                f"{exc.message}; their blobs were removed again, so nothing is half-stored",
                fix=exc.fix or "free space, then run the same import again") from None
        self.records, self.names, self.fresh = [], [], []


def import_folder(
    folder: Path,
    workspace: Workspace,
    catalog: Catalog,
    *,
    on_file: Callable[[str], None] | None = None,
) -> ImportReport:
    """Verify every ``<md5>.jpg`` against its name, decode it, store it and record it.

    Files whose md5 differs from their name are reported as corrupted, images the decoder
    refuses as refused, and neither is imported; files that are not in the catalogue are
    listed as unknown. Idempotent and resumable: records are appended in batches, and an
    image already recorded is verified (md5) but not re-added. A disk that refuses a write
    raises :class:`~dermforge.errors.StorageError` naming the file, after recording every
    image stored before it. Files are read and decoded by a few worker threads (Pillow
    decodes without the GIL); storing and recording stay in file-name order.
    """
    if not folder.is_dir():
        raise InputError(
            f"image folder {str(folder)!r} does not exist or is not a folder",
            fix="pass the folder that holds the <md5hash>.jpg files",
        )
    manifest = workspace.create().manifest(SourceImage)
    recorded = {row.source_id for row in manifest}
    before = frozenset(recorded)
    report = ImportReport(folder=str(folder))
    batch = _Batch(manifest, workspace)
    names = sorted(os.listdir(folder))
    with ThreadPoolExecutor(_WORKERS, thread_name_prefix="dermforge-import") as pool:
        for name, examined in _in_order(
                pool, names, lambda n: _examine(folder / n, n, catalog, before)):
            if examined is not None:
                try:
                    _record(examined, recorded, report, batch)
                except StorageError as exc:
                    batch.flush()
                    raise StorageError(
                        f"importing {folder / name}: {exc.message}; the "
                        f"{len(report.imported):,} image(s) imported before it are recorded; "
                        "it and the files after it were not imported", fix=exc.fix) from None
            if on_file is not None:
                on_file(name)
            if len(batch) >= _BATCH:
                batch.flush()
    batch.flush()
    return report


def _in_order(pool: ThreadPoolExecutor, names: list[str],
              work: Callable[[str], _Examined | None]) -> Iterator[tuple[str, _Examined | None]]:
    """``work(name)`` of each name, run ahead by the pool (a bounded window), in order."""
    window: deque[tuple[str, Future[_Examined | None]]] = deque()
    try:
        for name in names:
            window.append((name, pool.submit(work, name)))
            if len(window) >= 2 * _WORKERS:
                done, future = window.popleft()
                yield done, future.result()
        while window:
            done, future = window.popleft()
            yield done, future.result()
    finally:
        for _, future in window:
            future.cancel()


@dataclass(frozen=True)
class _Examined:
    """One catalogue file, read and checked without touching the workspace."""

    name: str
    source_id: str | None  # None: not <md5>.jpg of a catalogue row
    outcome: Literal["unknown", "unreadable", "corrupted", "refused", "already", "new"]
    detail: str = ""
    data: bytes = b""
    record: SourceImage | None = None


def _examine(path: Path, name: str, catalog: Catalog,
             recorded: frozenset[str]) -> _Examined | None:
    """What the file is (runs in a worker thread); None for what is not a file."""
    if not path.is_file():
        return None
    match = _NAME.match(name)
    if match is None or match.group(1) not in catalog:
        return _Examined(name, None, "unknown")
    source_id = match.group(1)
    row = catalog.by_id[source_id]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _Examined(name, source_id, "unreadable", f"cannot be read: {exc.strerror or exc}")
    if source_id in recorded:
        md5 = md5_hex(data)
        return _Examined(name, source_id, "corrupted" if md5 != row.md5 else "already", md5)
    try:
        record = check_source_image(data, row, name)
    except ImageBytesError as exc:
        if exc.kind == "md5_mismatch":
            return _Examined(name, source_id, "corrupted", exc.md5)
        return _Examined(name, source_id, "refused", exc.detail)
    return _Examined(name, source_id, "new", data=data, record=record)


def _record(examined: _Examined, recorded: set[str], report: ImportReport,
            batch: _Batch) -> None:
    """Count the file in the report; store and queue the record of a new image."""
    name, source_id, outcome = examined.name, examined.source_id, examined.outcome
    if source_id is None:
        report.unknown.append(name)
    elif outcome in ("unreadable", "refused"):
        if outcome == "refused":
            report.verified.append(source_id)
        report.refused.append((name, examined.detail))
    elif outcome == "corrupted":
        report.corrupted.append((name, examined.detail))
    elif outcome == "already" or source_id in recorded:  # also <md5>.jpeg beside <md5>.jpg
        report.verified.append(source_id)
        report.already.append(source_id)
    else:
        assert examined.record is not None  # set for every "new" outcome
        batch.store(name, examined.data, examined.record)
        report.verified.append(source_id)
        report.imported.append(source_id)
        recorded.add(source_id)
