"""The real images of a release's splits, from a folder in the authors' `<md5hash>.jpg` layout.

Every file is md5-checked against its name (the Fitzpatrick 17k id); an image that is absent
is counted as missing, never silently dropped; a file whose bytes do not match its name stops
the evaluation.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import InputError, IntegrityError

__all__ = ["RealImages", "open_rgb", "scan_real_images"]

_MAX_LISTED = 20


@dataclass(frozen=True)
class RealImages:
    """Verified images: source id → sha256 of the file's bytes; ids without a file."""

    folder: Path
    sha256: dict[str, str]
    missing: frozenset[str]

    def path(self, source_id: str) -> Path:
        return self.folder / f"{source_id}.jpg"

    def read(self, source_id: str) -> bytes:
        return self.path(source_id).read_bytes()


def scan_real_images(
    folder: Path,
    source_ids: Iterable[str],
    on_file: Callable[[], None] | None = None,
) -> RealImages:
    """Hash ``<id>.jpg`` for every id; raise IntegrityError for any md5 mismatch."""
    if not folder.is_dir():
        raise InputError(
            f"source image folder {str(folder)!r} does not exist or is not a folder",
            fix="pass --source-images with the folder of <md5hash>.jpg files")
    found: dict[str, str] = {}
    missing: set[str] = set()
    corrupted: list[str] = []
    for source_id in sorted(set(source_ids)):
        path = folder / f"{source_id}.jpg"
        if not path.is_file():
            missing.add(source_id)
        else:
            data = path.read_bytes()
            md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
            if md5 != source_id:
                corrupted.append(f"{path} (md5 of its bytes is {md5})")
            found[source_id] = hashlib.sha256(data).hexdigest()
        if on_file is not None:
            on_file()
    if corrupted:
        listed = "\n".join(f"  - {name}" for name in corrupted[:_MAX_LISTED])
        extra = len(corrupted) - _MAX_LISTED
        more = f"\n  … and {extra} more" if extra > 0 else ""
        raise IntegrityError(
            f"{len(corrupted)} image(s) in {folder} do not match their name:\n{listed}{more}",
            fix="replace those files with intact copies, or remove them (a removed image is "
            "reported as missing)")
    return RealImages(folder=folder, sha256=found, missing=frozenset(missing))


def open_rgb(data: bytes) -> Image.Image:
    """Decode image bytes to RGB (grayscale and RGBA become RGB, as in the recipe)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")
