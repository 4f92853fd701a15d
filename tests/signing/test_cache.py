"""Sign each image once: unchanged images get the identical signed bytes again."""

from __future__ import annotations

from pathlib import Path

from dermforge.signing import (
    ImageProvenance,
    ImageSigner,
    SignedImageCache,
    mark_image,
    read_credentials,
    signing_key,
)
from signing.helpers import Pki, png_bytes, provenance


class CountingSigner(ImageSigner):
    """The real signer, counting its signatures."""

    __slots__ = ("calls",)

    def __init__(self, pki: Pki) -> None:
        super().__init__(pki.key, pki.chain)
        self.calls = 0

    def sign(self, png: bytes, provenance: ImageProvenance, *,
             parent: bytes | None = None) -> bytes:
        self.calls += 1
        return super().sign(png, provenance, parent=parent)


def test_signing_twice_differs_so_the_store_is_what_makes_bytes_identical(pki: Pki) -> None:
    signer, png, facts = ImageSigner(pki.key, pki.chain), png_bytes(), provenance()
    assert mark_image(png, facts, signer) != mark_image(png, facts, signer)


def test_a_hit_returns_identical_bytes_without_signing_again(pki: Pki, tmp_path: Path) -> None:
    signer, png, facts = CountingSigner(pki), png_bytes(), provenance()
    cache = SignedImageCache(tmp_path / "signed")
    first = cache.mark(png, facts, signer)
    assert (cache.hits, cache.misses, signer.calls) == (0, 1, 1)
    assert cache.mark(png, facts, signer) == first
    later = SignedImageCache(tmp_path / "signed")  # a later release, a new process
    assert later.mark(png, facts, signer) == first
    assert (cache.hits, later.hits, signer.calls) == (1, 1, 1)
    assert read_credentials(first, pki.anchor, image=facts.image_id).trusted
    assert [p.name for p in (tmp_path / "signed").rglob("*")
            if p.is_file()] == [f"{signing_key(png, facts, signer.fingerprint)}.png"]


def test_a_changed_image_or_assertion_is_signed_anew(pki: Pki, tmp_path: Path) -> None:
    signer, png, facts = CountingSigner(pki), png_bytes(), provenance()
    cache = SignedImageCache(tmp_path)
    cache.mark(png, facts, signer)
    cache.mark(png_bytes(seed=1), facts, signer)
    cache.mark(png, provenance(verdict="reject"), signer)
    cache.mark(png, provenance(parameters={"size": "1024x1024"}), signer)
    assert (cache.hits, cache.misses, signer.calls) == (0, 4, 4)


def test_the_key_depends_on_the_certificate(pki: Pki) -> None:
    png, facts = png_bytes(), provenance()
    assert signing_key(png, facts, "a" * 64) != signing_key(png, facts, "b" * 64)
    assert signing_key(png, facts, "a" * 64) == signing_key(png, provenance(), "a" * 64)


def test_a_torn_entry_is_signed_again(pki: Pki, tmp_path: Path) -> None:
    """Entries are not fsynced: one a power cut cut short (or emptied) is a miss."""
    signer, png, facts = CountingSigner(pki), png_bytes(), provenance()
    cache = SignedImageCache(tmp_path)
    first = cache.mark(png, facts, signer)
    entry = cache.path(signing_key(png, facts, signer.fingerprint))
    for torn in (first[: len(first) // 2], b""):
        entry.write_bytes(torn)
        again = cache.mark(png, facts, signer)
        assert again != torn and read_credentials(again, pki.anchor,
                                                  image=facts.image_id).trusted
        assert entry.read_bytes() == again
    assert (cache.hits, cache.misses, signer.calls) == (0, 3, 3)
