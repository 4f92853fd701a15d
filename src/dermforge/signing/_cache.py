"""Sign each image once: a content-addressed store of signed bytes.

The key is the sha256 of the unsigned image bytes, the canonical JSON of its stable
assertions (:meth:`ImageProvenance.assertion`), the signer certificate's fingerprint and the
manifest layout (:data:`MANIFEST_FORMAT`),
so an unchanged image signed again by the same certificate gets the identical signed bytes
a previous release shipped (signatures carry random salts: signing twice would not). The
store is a folder the caller names: ``<key[:2]>/<key>.png``, each written atomically but not
fsynced (one fsync per image cost 40 % of a first signing): an entry a power cut tore (it
does not end with a PNG's IEND chunk) is signed again, and every entry re-used is checked
by `dermforge verify` on the signed release like any other image.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .._atomic import atomic_write_bytes
from ..errors import IntegrityError
from ..schemas import canonical_json
from ._c2pa import MANIFEST_FORMAT, ImageProvenance, ImageSigner, mark_image

__all__ = ["SignedImageCache", "signing_key"]

#: the last 12 bytes of every complete PNG (the IEND chunk: length 0, type, CRC)
_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def signing_key(png: bytes, provenance: ImageProvenance, fingerprint: str) -> str:
    """The cache key of an unsigned image, its stable assertions and a certificate."""
    digest = hashlib.sha256()
    for part in (hashlib.sha256(png).hexdigest(), canonical_json(provenance.assertion()),
                 fingerprint, MANIFEST_FORMAT):
        digest.update(part.encode("utf-8") + b"\n")
    return digest.hexdigest()


class SignedImageCache:
    """Signed bytes by :func:`signing_key`; ``hits`` and ``misses`` count the lookups."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"SignedImageCache({str(self.folder)!r}, hits={self.hits}, misses={self.misses})"

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.png"

    def mark(self, png: bytes, provenance: ImageProvenance, signer: ImageSigner) -> bytes:
        """The signed, labelled bytes of ``png``: from the store, else signed and stored."""
        key = signing_key(png, provenance, signer.fingerprint)
        path = self.path(key)
        try:
            stored = path.read_bytes()
        except FileNotFoundError:
            stored = None
        except OSError as exc:
            raise IntegrityError(f"image {provenance.image_id}: cannot read the signed copy "
                                 f"{path} ({exc.strerror})",
                                 fix=f"delete {path}; the next run signs the image again"
                                 ) from None
        if stored and stored.endswith(_IEND):
            self.hits += 1
            return stored
        self.misses += 1
        signed = mark_image(png, provenance, signer)
        atomic_write_bytes(path, signed, durable=False)
        return signed
