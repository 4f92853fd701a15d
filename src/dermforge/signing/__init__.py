"""Provenance that travels with the bytes (issue 12's library layer).

One image: the IPTC digital source type in XMP, and Content Credentials (C2PA) signed with the
maintainer's certificate, each image signed once —

- :func:`embed_source_type` / :func:`read_source_type` / :func:`source_type_for`: the
  ``Iptc4xmpExt:DigitalSourceType`` XMP label (readable with Pillow alone);
- :class:`ImageSigner`, :func:`mark_image`, :func:`read_credentials`: sign and validate;
- :class:`SignedImageCache`: re-use the signed bytes of unchanged images.

A release folder: a detached signature over every file (OpenSSF ``model-signing``,
key-based), checked by `dermforge verify --public-key` or by ``model_signing verify key``
without dermforge —

- :func:`sign_folder`, :func:`verify_folder`, :func:`public_key_fingerprint`.

A throw-away demo CA and key (`dermforge demo-keys`, `make demo`, the tests):
:func:`create_demo_keys`; a certificate of it is told by :func:`is_demo_certificate`.

A release: :func:`sign_release` (`dermforge sign`) makes the distributable release from an
unsigned one: marked images, release.json ``signing``, the card's "How to verify this
release", MANIFEST.json, then release.sig.

c2pa-python and model-signing (the ``sign`` extra) are imported only when first used.
"""

from __future__ import annotations

from ._c2pa import (
    PROVENANCE_LABEL,
    Credentials,
    ImageProvenance,
    ImageSigner,
    has_manifest,
    ingredient_problems,
    mark_image,
    read_credentials,
)
from ._cache import SignedImageCache, signing_key
from ._demo import DEMO_ORGANIZATION, DemoKeys, create_demo_keys, is_demo_certificate
from ._folder_sig import (
    SIGNATURE_METHODS,
    SIGNATURE_NAME,
    FolderSignatureReport,
    SignatureMethod,
    public_key_fingerprint,
    sign_folder,
    signature_method,
    verify_folder,
)
from ._release import SignResult, sign_release
from ._xmp import (
    IPTC_NEWSCODES,
    SOURCE_TYPES,
    SourceType,
    embed_source_type,
    read_source_type,
    source_type_for,
    source_type_uri,
)

__all__ = [
    "DEMO_ORGANIZATION",
    "IPTC_NEWSCODES",
    "PROVENANCE_LABEL",
    "SIGNATURE_METHODS",
    "SIGNATURE_NAME",
    "SOURCE_TYPES",
    "Credentials",
    "DemoKeys",
    "FolderSignatureReport",
    "ImageProvenance",
    "ImageSigner",
    "SignResult",
    "SignatureMethod",
    "SignedImageCache",
    "SourceType",
    "create_demo_keys",
    "embed_source_type",
    "has_manifest",
    "ingredient_problems",
    "is_demo_certificate",
    "mark_image",
    "public_key_fingerprint",
    "read_credentials",
    "read_source_type",
    "sign_folder",
    "sign_release",
    "signature_method",
    "signing_key",
    "source_type_for",
    "source_type_uri",
    "verify_folder",
]
