"""MANIFEST.json: the sha256 and size of every other file of a release (written last)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text
from ..store import sha256_file
from ._folder import MANIFEST_JSON, FileEntry, walk_files

__all__ = ["manifest_of", "write_manifest"]


def manifest_of(root: Path, known: Mapping[str, FileEntry] | None = None) -> dict[str, Any]:
    """Every file's sha256 and size; ``known`` entries (files just hashed or verified) are
    taken as they are instead of hashing those files again."""
    files = {}
    for rel in walk_files(root)[0]:
        entry = (known or {}).get(rel)
        if entry is None:
            path = root / rel
            entry = FileEntry(sha256_file(path), path.stat().st_size)
        files[rel] = {"sha256": entry.sha256, "size": entry.size}
    return {"algorithm": "sha256", "files": files}


def write_manifest(root: Path, known: Mapping[str, FileEntry] | None = None) -> dict[str, Any]:
    manifest = manifest_of(root, known)
    atomic_write_text(root / MANIFEST_JSON,
                      json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
