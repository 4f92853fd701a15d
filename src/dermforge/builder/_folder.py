"""The one reader of a built release folder: release.json, MANIFEST.json, the files on disk,
the parquet shards and the changelog. The builder (previous release), `verify`, `audit` and
`publish` all read releases through it.

A folder is a release when it holds ``release.json`` or ``MANIFEST.json`` at its top; that is
decided without walking it, so pointing a command at a workspace or at a folder of thousands
of files gets one ``NotAReleaseError`` (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic
from datasets import Features

from ..errors import NotAReleaseError, ReleaseError
from ..schemas import Release
from ..store import format_validation_error
from ._features import CONFIG_ALIASES

__all__ = ["HUB_ADDED", "MANIFEST_JSON", "RELEASE_JSON", "SIGNATURE_NAME", "FileEntry",
           "ReleaseFolder", "hub_added", "walk_files"]

RELEASE_JSON = "release.json"
MANIFEST_JSON = "MANIFEST.json"
#: the detached signature of a signed release (``dermforge.signing``): it signs MANIFEST.json
#: and every other file, so it is never listed in them; `verify --public-key` checks it
SIGNATURE_NAME = "release.sig"
#: what a Hugging Face Hub clone or download adds beside a release's own files; never part
#: of a release, never listed, never uploaded (the one definition, used by verify and publish)
HUB_ADDED = (".gitattributes", ".git/", ".cache/huggingface/")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REBUILD = "restore the release from its published copy, or rebuild it with `dermforge build`"


def hub_added(rel: str) -> bool:
    """Whether ``rel`` (a POSIX path inside a release) is something a Hub clone adds."""
    return any(rel == h or (h.endswith("/") and rel.startswith(h)) for h in HUB_ADDED)


def walk_files(root: Path) -> tuple[list[str], list[str]]:
    """(regular files, other entries such as symbolic links) under ``root`` as sorted POSIX
    relative paths, MANIFEST.json, the detached signature and what a Hub clone adds left out
    (never descended into)."""
    files: list[str] = []
    others: list[str] = []
    for folder, dirs, names in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else f"{base}/"
        for d in list(dirs):
            if hub_added(f"{prefix}{d}/"):
                dirs.remove(d)
            elif (Path(folder) / d).is_symlink():
                others.append(f"{prefix}{d}")
        for name in names:
            rel = f"{prefix}{name}"
            if rel in (MANIFEST_JSON, SIGNATURE_NAME) or hub_added(rel):
                continue
            path = Path(folder) / name
            (files if path.is_file() and not path.is_symlink() else others).append(rel)
    return sorted(files), sorted(others)


@dataclass(frozen=True)
class FileEntry:
    """One file as MANIFEST.json records it."""

    sha256: str
    size: int


class ReleaseFolder:
    """A release folder, read lazily. Raises NotAReleaseError (exit 2) for a folder that is
    not a release at all; ReleaseError (exit 1) for a release whose records are unreadable."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise NotAReleaseError(
                f"{str(self.root)!r} is not a release: it does not exist or is not a folder",
                fix="pass the folder written by `dermforge build --out DIR`")
        if not ((self.root / RELEASE_JSON).is_file() or (self.root / MANIFEST_JSON).is_file()):
            raise NotAReleaseError(
                f"{str(self.root)!r} is not a release: it has neither {RELEASE_JSON} nor "
                f"{MANIFEST_JSON} at its top",
                fix="pass the folder written by `dermforge build --out DIR` (not a workspace "
                    "or a parent folder)")

    @cached_property
    def release(self) -> Release:
        path = self.root / RELEASE_JSON
        try:
            return Release.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise ReleaseError(f"{path} is missing: a release records its version, counts and "
                               "file hashes there", fix=_REBUILD) from None
        except pydantic.ValidationError as exc:
            field, reason = format_validation_error(exc)
            where = f"field {field!r}: " if field else ""
            raise ReleaseError(f"{path}: {where}{reason}",
                               fix=f"{_REBUILD}; release.json must not be edited") from None

    @cached_property
    def manifest(self) -> dict[str, FileEntry]:
        """relative path → (sha256, size) of every file but MANIFEST.json, as recorded."""
        path = self.root / MANIFEST_JSON
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReleaseError(f"{path} is missing: a release lists every file's sha256 and "
                               "size there", fix=_REBUILD) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ReleaseError(f"{path} is not valid JSON: {exc}", fix=_REBUILD) from None
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict):
            raise ReleaseError(f"{path} has no 'files' mapping (path → sha256 and size)",
                               fix=_REBUILD)
        return {rel: _entry(path, rel, value) for rel, value in sorted(files.items())}

    def files(self) -> tuple[list[str], list[str]]:
        """(regular files, other entries) on disk; see :func:`walk_files`."""
        return walk_files(self.root)

    def changelog(self) -> str:
        path = self.root / "CHANGELOG.md"
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    def config_dir(self, config: str) -> Path:
        """``data/<config>`` (a deprecated config name gives its new config's folder); for a
        release of dermforge 0.1.0, the folder the config had under its old name."""
        config = CONFIG_ALIASES.get(config, config)
        folder = self.root / "data" / config
        if not folder.is_dir():
            for old, new in CONFIG_ALIASES.items():
                if new == config and (self.root / "data" / old).is_dir():
                    return self.root / "data" / old
        return folder

    def shards(self, config: str) -> list[Path]:
        return sorted(self.config_dir(config).glob("*.parquet"))

    def features(self, config: str) -> Features:
        shards = self.shards(config)
        if not shards:
            raise ReleaseError(f"{self.root}: config {config!r} has no parquet shards",
                               fix=_REBUILD)
        with _reading(shards[0]):
            return Features.from_arrow_schema(pq.read_schema(shards[0]))

    def batches(self, config: str, columns: Sequence[str] | None = None,
                batch_size: int = 256) -> Iterator[tuple[Path, pa.RecordBatch]]:
        for shard in self.shards(config):
            with _reading(shard), pq.ParquetFile(shard) as handle:
                for batch in handle.iter_batches(batch_size=batch_size,
                                                 columns=list(columns) if columns else None):
                    yield shard, batch

    def row_groups(self, config: str) -> Iterator[tuple[Path, pa.Table]]:
        """Every row group of a config's shards, images included, as written."""
        for shard in self.shards(config):
            with _reading(shard), pq.ParquetFile(shard) as handle:
                for index in range(handle.num_row_groups):
                    yield shard, handle.read_row_group(index)

    def find(self, config: str, column: str, value: str,
             columns: Sequence[str] | None = None) -> dict[str, Any] | None:
        """The first row whose ``column`` equals ``value`` (images read only if asked)."""
        for shard in self.shards(config):
            with _reading(shard):
                table = pq.read_table(shard, columns=list(columns) if columns else None,
                                      filters=[(column, "=", value)])
            if table.num_rows:
                return dict(table.slice(0, 1).to_pylist()[0])
        return None


@contextlib.contextmanager
def _reading(shard: Path) -> Iterator[None]:
    """A shard that cannot be read is a ReleaseError naming it, not a pyarrow traceback."""
    try:
        yield
    except (OSError, pa.ArrowException, ValueError, KeyError) as exc:
        raise ReleaseError(f"{shard} cannot be read as parquet ({type(exc).__name__}: {exc})",
                           fix=f"run `dermforge verify` on the release; {_REBUILD}") from None


def _entry(path: Path, rel: object, value: object) -> FileEntry:
    sha = value.get("sha256") if isinstance(value, dict) else None
    size = value.get("size") if isinstance(value, dict) else None
    if not isinstance(rel, str) or rel.startswith("/") or ".." in rel.split("/") or \
            rel in ("", MANIFEST_JSON):
        raise ReleaseError(f"{path}: entry {rel!r} is not a file inside the release",
                           fix=_REBUILD)
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise ReleaseError(f"{path}: entry {rel!r}: field 'sha256' is not 64 lowercase hex "
                           f"digits (got {sha!r})", fix=_REBUILD)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ReleaseError(f"{path}: entry {rel!r}: field 'size' is not a byte count "
                           f"(got {size!r})", fix=_REBUILD)
    return FileEntry(sha, size)
