"""`dermforge sign`: the distributable release, made from a finished (unsigned) one.

The new folder is the release with every ``synthetic`` and ``candidates`` image replaced by
its marked bytes (the IPTC digital source type in XMP, then Content Credentials: see
:func:`mark_image`), each image signed once across releases (:class:`SignedImageCache`). The
shards are written again by the build's own :class:`ShardWriter`, rows in their order; each
row's ``image_sha256`` becomes the hash of the released bytes and ``generated_sha256`` keeps
the hash of the bytes as generated. ``seeds`` (real photographs), ``experiments``,
``validation/``, the changelog and the schema are carried over unchanged. Then release.json
(with its ``signing`` block), the card (with "How to verify this release"), croissant.json and
MANIFEST.json are written again, and last the detached signature over every file
(:func:`sign_folder`).

Everything is assembled in a partial folder beside ``--out`` and renamed into place (the
machinery of `dermforge attach`); an existing ``--out`` is refused. The unsigned release must
pass `verify` first. Keys are read from the files named; only their paths and fingerprints
are ever written or shown.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from datasets import Features

from .._atomic import atomic_write_text
from ..builder._card_input import card_input_of
from ..builder._describe import _dump
from ..builder._features import config_features, from_arrow, to_arrow
from ..builder._folder import MANIFEST_JSON, RELEASE_JSON, SIGNATURE_NAME, ReleaseFolder
from ..builder._manifest import write_manifest
from ..builder._params import BuildParams
from ..builder._partial import clean_partials, partial
from ..builder._shards import ShardWriter
from ..builder._validation import data_sha256
from ..builder._verify import require_verified
from ..cards import croissant, render_card
from ..errors import ReleaseError
from ..schemas import Release, ReleaseRow, ReleaseSigning
from ..store import sha256_file
from ._c2pa import ImageSigner
from ._cache import SignedImageCache
from ._folder_sig import SignatureMethod, public_key_fingerprint, sign_folder
from ._release_check import MARKED_CONFIGS, FirstAdded, provenance_of

__all__ = ["SignResult", "sign_release"]

#: written anew; the marked configs' shards are rewritten; every other file is carried over
_REWRITTEN = ("README.md", "croissant.json", RELEASE_JSON, MANIFEST_JSON, SIGNATURE_NAME)


@dataclass(frozen=True)
class SignResult:
    path: Path
    release: Release
    signature: Path
    #: partial folders of killed runs (beside ``path``) that this run removed
    cleaned: list[Path] = field(default_factory=list)

    @property
    def signing(self) -> ReleaseSigning:
        assert self.release.signing is not None  # set by every signing
        return self.release.signing


@dataclass
class _Marked:
    """The images marked so far: distinct image ids, and those signed by this run."""

    cache: SignedImageCache
    signer: ImageSigner
    images: set[str] = field(default_factory=set)
    signed: set[str] = field(default_factory=set)
    first_added: FirstAdded = field(default_factory=dict)

    def mark(self, config: str, png: bytes, row: ReleaseRow) -> bytes:
        misses = self.cache.misses
        provenance = provenance_of(config, row, self.first_added)
        marked = self.cache.mark(png, provenance, self.signer)
        self.images.add(row.image_id)
        if self.cache.misses != misses:
            self.signed.add(row.image_id)
        return marked


def sign_release(release: Path | str, *, key: Path, cert: Path, out: Path | str,
                 cache: Path, password: bytes | None = None,
                 signature_method: SignatureMethod = "key") -> SignResult:
    """Sign the unsigned release ``release`` into the new folder ``out`` (module doc).
    ``key``: PEM EC P-256 private key; ``cert``: its PEM certificate chain (signing
    certificate first); ``cache``: the signed-image store shared by successive releases;
    ``signature_method``: release.sig by the key alone, or with ``cert`` embedded.
    Raises ReleaseError (an existing ``out``, a signed or failing release), InputError (keys,
    certificates), MissingExtraError (the ``sign`` extra), NotAReleaseError."""
    source = ReleaseFolder(release)
    target = Path(out)
    if target.exists():
        raise ReleaseError(f"{target} already exists: a release is never overwritten",
                           fix="pass a new --out folder")
    if source.release.signing is not None:
        raise ReleaseError(f"{source.root} is a signed release already (release.json has a "
                           "signing block)",
                           fix="sign the unsigned release that `dermforge build` wrote")
    require_verified(
        source.root, refusal="signing would vouch for it, so nothing was signed",
        fix="restore the release from its published copy or rebuild it with "
            "`dermforge build`, then sign")
    signer = ImageSigner(key, cert, password=password)
    fingerprint = public_key_fingerprint(key, password=password)
    marked = _Marked(SignedImageCache(cache), signer)
    cleaned = clean_partials(target)
    with partial(target) as tmp:
        signed = _assemble(tmp, source, marked, fingerprint, signature_method)
        signature = sign_folder(tmp, key, password=password, certificate_chain=(
            cert if signature_method == "certificate" else None))
    return SignResult(target, signed, target / signature.name, cleaned)


def _assemble(tmp: Path, source: ReleaseFolder, marked: _Marked, fingerprint: str,
              method: SignatureMethod) -> Release:
    rewritten = tuple(f"data/{c}/" for c in MARKED_CONFIGS)
    for rel in source.manifest:
        if rel not in _REWRITTEN and not rel.startswith(rewritten):
            _copy(source.root / rel, tmp / rel)
    params = BuildParams.model_validate(source.release.params.get("build", {}))
    for config in MARKED_CONFIGS:  # synthetic's images are candidates' again: cache hits
        _rewrite(tmp, source, config, params, marked)
    signing = ReleaseSigning(
        unsigned_manifest_sha256=sha256_file(source.root / MANIFEST_JSON),
        unsigned_version=source.release.version,
        unsigned_data_sha256=data_sha256(source.manifest),
        certificate_sha256=marked.signer.fingerprint, public_key_fingerprint=fingerprint,
        demo_key=marked.signer.demo,
        signature=SIGNATURE_NAME, signature_method=method, images=len(marked.images),
        images_signed=len(marked.signed),
        images_reused=len(marked.images - marked.signed),
        c2pa_python=_version("c2pa-python"), model_signing=_version("model-signing"))
    release = source.release.model_copy(update={"signing": signing})
    _dump(tmp / RELEASE_JSON, release.model_dump(mode="json"))  # read by the card input
    card = replace(card_input_of(ReleaseFolder(tmp), release.evaluation), signing=signing)
    _dump(tmp / "croissant.json", croissant(card))
    atomic_write_text(tmp / "README.md", render_card(card))
    files = {rel: entry.sha256 for rel, entry in _listing(tmp).items()}
    release = release.model_copy(update={"files": files})
    _dump(tmp / RELEASE_JSON, release.model_dump(mode="json"))
    write_manifest(tmp)
    return release


def _rewrite(tmp: Path, source: ReleaseFolder, config: str, params: BuildParams,
             marked: _Marked) -> None:
    """The config's rows in order, each image replaced by its marked bytes."""
    features = source.features(config)
    new: Features = config_features(config, list(features["condition"].names))
    writer = ShardWriter(tmp, config, new, params)
    try:
        for _, table in source.row_groups(config):
            for raw in table.to_pylist():
                row, image = _marked_row(config, raw, features, marked)
                writer.add(to_arrow(row, new, {"image": image}), len(image["bytes"]),
                           key=row.image_id)
        writer.close()
    except BaseException:
        writer.abort()
        raise


def _marked_row(config: str, raw: dict[str, Any], features: Features,
                marked: _Marked) -> tuple[ReleaseRow, dict[str, Any]]:
    row = ReleaseRow.model_validate(from_arrow(raw, features), strict=False)
    image = raw["image"]
    generated = row.generated_sha256 or hashlib.sha256(image["bytes"]).hexdigest()
    data = marked.mark(config, image["bytes"], row)
    row = row.model_copy(update={"image_sha256": hashlib.sha256(data).hexdigest(),
                                 "generated_sha256": generated})
    return row, {"bytes": data, "path": image.get("path")}


def _listing(root: Path) -> dict[str, Any]:
    from ..builder._folder import FileEntry, walk_files

    return {rel: FileEntry(sha256_file(root / rel), (root / rel).stat().st_size)
            for rel in walk_files(root)[0] if rel != RELEASE_JSON}


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
