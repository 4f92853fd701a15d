"""Marks that travel with one image's bytes: the IPTC digital source type in XMP, and
Content Credentials (C2PA) signed with the maintainer's certificate, each image signed once.

- :func:`embed_source_type` / :func:`read_source_type` / :func:`source_type_for`: the
  ``Iptc4xmpExt:DigitalSourceType`` XMP label (readable with Pillow alone);
- :class:`ImageSigner`, :func:`mark_image`, :func:`read_credentials`: sign and validate;
- :class:`SignedImageCache`: re-use the signed bytes of unchanged images.
"""

from __future__ import annotations

from ._c2pa import (
    PROVENANCE_LABEL,
    Credentials,
    ImageProvenance,
    ImageSigner,
    has_manifest,
    mark_image,
    read_credentials,
)
from ._cache import SignedImageCache, signing_key
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
    "IPTC_NEWSCODES",
    "PROVENANCE_LABEL",
    "SOURCE_TYPES",
    "Credentials",
    "ImageProvenance",
    "ImageSigner",
    "SignedImageCache",
    "SourceType",
    "embed_source_type",
    "has_manifest",
    "mark_image",
    "read_credentials",
    "read_source_type",
    "signing_key",
    "source_type_for",
    "source_type_uri",
]
