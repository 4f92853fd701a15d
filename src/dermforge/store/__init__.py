"""Content store: sha256-addressed blobs and validated JSONL manifests, in a workspace."""

from ._blobs import BlobStore, check_layer, sha256_bytes, sha256_file
from ._cursor import ManifestCursor
from ._manifest import Manifest, format_validation_error
from ._workspace import MANIFEST_FILES, Workspace

__all__ = [
    "MANIFEST_FILES",
    "BlobStore",
    "Manifest",
    "ManifestCursor",
    "Workspace",
    "check_layer",
    "format_validation_error",
    "sha256_bytes",
    "sha256_file",
]
