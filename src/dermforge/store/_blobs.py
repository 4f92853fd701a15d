"""Content-addressed blobs: each file is named by the sha256 of its bytes, written once."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from .._atomic import atomic_writer
from ..errors import InputError, IntegrityError, MissingInputError
from ..schemas import Sha256

__all__ = ["BlobStore", "check_layer", "sha256_bytes", "sha256_file"]

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


#: a layer is a lowercase name of at least 3 characters: a 2-character folder under
#: ``blobs/`` is a sha256 prefix of the flat layout, so a 2-letter layer could not be read
_LAYER = re.compile(r"[a-z][a-z0-9_]{2,31}")


def check_layer(name: str) -> str:
    """Return ``name`` if it is a valid blob layer name, else raise InputError."""
    if not isinstance(name, str) or not _LAYER.fullmatch(name):
        raise InputError(f"blob layer {name!r} is not a valid layer name",
                         fix="use 3-32 lowercase letters, digits or '_', starting with a "
                             "letter (the stage's name, e.g. 'prepare')")
    return name


class BlobStore:
    """Blobs under ``root/<layer>/ab/cdef…`` (the sha256 split after two characters).

    Each pipeline stage writes into its own layer (the ``layer`` argument of :meth:`put`,
    the stage's name), so DVC can track the blobs of each stage as that stage's output;
    reads look in every layer. Writes are atomic and idempotent; a blob is read-only once
    written; every read re-hashes the bytes and raises :class:`IntegrityError` if they
    changed.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)
        self._known_layers: list[str] = []

    def layers(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and _LAYER.fullmatch(p.name))

    def _write_path(self, sha256: str, layer: str) -> Path:
        return self.root / check_layer(layer) / sha256[:2] / sha256[2:]

    def _find(self, sha256: str, layers: list[str]) -> Path | None:
        for layer in layers:
            candidate = self.root / layer / sha256[:2] / sha256[2:]
            if candidate.is_file():
                return candidate
        return None

    def find(self, sha256: str) -> Path | None:
        """Where the blob is, in whichever layer holds it; None when no layer does."""
        found = self._find(sha256, self._known_layers)
        if found is None:  # a layer may have appeared since: list them again
            self._known_layers = self.layers()
            found = self._find(sha256, self._known_layers)
        return found

    def path(self, sha256: Sha256) -> Path:
        """Where the blob is; raises MissingInputError when no layer holds it."""
        found = self.find(sha256)
        if found is None:
            raise MissingInputError(
                f"blob {sha256} is not in the store {self.root}",
                fix="re-run the stage that produced it, or `dvc pull` the workspace")
        return found

    def size(self, sha256: str) -> int | None:
        """The blob's size in bytes (without reading it); None when no layer holds it."""
        size = self._size(sha256, self._known_layers)
        if size is None:  # a layer may have appeared since: list them again
            self._known_layers = self.layers()
            size = self._size(sha256, self._known_layers)
        return size

    def _size(self, sha256: str, layers: list[str]) -> int | None:
        name = os.path.join(sha256[:2], sha256[2:])
        for layer in layers:
            try:
                return os.stat(os.path.join(self._root, layer, name)).st_size
            except (FileNotFoundError, NotADirectoryError):
                continue
        return None

    def has(self, sha256: str) -> bool:
        return self.find(sha256) is not None

    def put(self, data: bytes, *, layer: str) -> str:
        """Store ``data`` in ``layer``; return its sha256. Storing the same bytes twice is a
        no-op (in that layer)."""
        sha = sha256_bytes(data)
        target = self._write_path(sha, layer)
        if not target.is_file():
            with atomic_writer(target, mode=0o444) as handle:
                handle.write(data)
        return sha

    def put_file(self, source: Path, *, layer: str) -> str:
        """Copy a file into ``layer`` without holding it in memory twice; return its sha256."""
        sha = sha256_file(source)
        target = self._write_path(sha, layer)
        if not target.is_file():
            with atomic_writer(target, mode=0o444) as handle, source.open("rb") as src:
                digest = hashlib.sha256()
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    handle.write(chunk)
                if digest.hexdigest() != sha:
                    raise IntegrityError(
                        f"{source} changed while it was being stored "
                        f"(sha256 {sha} before, {digest.hexdigest()} during the copy)",
                        fix="make sure nothing writes the file, then store it again",
                    )
        return sha

    def read(self, sha256: str) -> bytes:
        """Return the blob's bytes after checking they still hash to ``sha256``."""
        found = self._read(sha256, self._known_layers)
        if found is None:  # a layer may have appeared since: list them again
            self._known_layers = self.layers()
            found = self._read(sha256, self._known_layers)
        if found is None:
            raise MissingInputError(
                f"blob {sha256} is not in the store {self.root}",
                fix="re-run the stage that produced it, or `dvc pull` the workspace",
            )
        target, data = found
        actual = sha256_bytes(data)
        if actual != sha256:
            raise IntegrityError(
                f"blob {target} is corrupted: its bytes hash to {actual}, not {sha256}",
                fix="delete the file and re-run the stage that produced it (or `dvc pull`)",
            )
        return data

    def _read(self, sha256: str, layers: list[str]) -> tuple[str, bytes] | None:
        """(path, bytes) from the first layer holding the blob: one open per layer tried,
        plain strings (a read is on the build's hot path)."""
        name = f"{sha256[:2]}{os.sep}{sha256[2:]}"
        for layer in layers:
            target = f"{self._root}{os.sep}{layer}{os.sep}{name}"
            try:
                return target, _read_file(target)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                continue
        return None

    def verify(self, sha256: str) -> bool:
        target = self.find(sha256)
        return target is not None and sha256_file(target) == sha256

    def clean_partial(self, layer: str) -> list[Path]:
        """Remove the temp files a killed write into ``layer`` left; return them.

        Call it only while no other process writes into that layer (a stage's own layer
        at the stage's start).
        """
        base = self.root / check_layer(layer)
        if not base.is_dir():
            return []
        removed = []
        for prefix in sorted(os.listdir(base)):
            folder = base / prefix
            if len(prefix) != 2 or not folder.is_dir():
                continue
            for name in os.listdir(folder):
                if name.startswith(".") and name.endswith(".tmp"):
                    (folder / name).unlink(missing_ok=True)
                    removed.append(folder / name)
        return removed

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for layer in self.layers():
            base = self.root / layer
            for prefix in sorted(os.listdir(base)):
                folder = base / prefix
                if len(prefix) != 2 or not folder.is_dir():
                    continue
                for rest in sorted(os.listdir(folder)):
                    if not rest.startswith(".") and prefix + rest not in seen:
                        seen.add(prefix + rest)
                        yield prefix + rest


def _read_file(path: str) -> bytes:
    """The file's bytes: its size, then that many bytes, read through a bare descriptor
    (no file object: a build reads a blob per row). A file that grows meanwhile is read up
    to the size it had; the caller's sha256 check tells."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        parts, left = [], info.st_size
        while left > 0 and (part := os.read(fd, left)):
            parts.append(part)
            left -= len(part)
        return b"".join(parts)  # one part: that very object
    finally:
        os.close(fd)
