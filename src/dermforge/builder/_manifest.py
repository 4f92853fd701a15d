"""MANIFEST.json: the sha256 and size of every other file of a release (written last)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text
from ..store import sha256_file
from ._folder import MANIFEST_JSON, walk_files

__all__ = ["manifest_of", "write_manifest"]


def manifest_of(root: Path) -> dict[str, Any]:
    files = {}
    for rel in walk_files(root)[0]:
        path = root / rel
        files[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return {"algorithm": "sha256", "files": files}


def write_manifest(root: Path) -> dict[str, Any]:
    manifest = manifest_of(root)
    atomic_write_text(root / MANIFEST_JSON,
                      json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
