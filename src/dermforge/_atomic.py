"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import StorageError

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_writer", "fsync_dir",
           "storage_errors"]

#: errno values that mean "the file system refused the write", not a bug
_STORAGE_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EFBIG: "the file is too big for "
                   "the file system", errno.EDQUOT: "the disk quota is exceeded",
                   errno.EROFS: "the file system is read-only"}


@contextlib.contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn ENOSPC, EFBIG, EDQUOT and EROFS while writing ``path`` into a StorageError."""
    try:
        yield
    except OSError as exc:
        why = _STORAGE_ERRNOS.get(exc.errno or 0)
        if why is None:
            raise
        raise StorageError(f"could not write {path}: {why} ({exc.strerror})",
                           fix="free space (or raise the limit) on that file system, then "
                               "run the same command again; nothing half-written was "
                               "kept") from None


def fsync_dir(directory: Path) -> None:
    """Make a rename inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path, mode: int = 0o644, *, durable: bool = True
                  ) -> Iterator[IO[bytes]]:
    """Yield a binary file that replaces ``path`` only if the block finishes without error.

    Readers see either the old file or the complete new one, never a partial file. With
    ``durable=False`` (caches whose lost entries are made again) nothing is fsynced: after a
    power cut the file may be missing or torn, which such a reader must detect.
    """
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                        suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
            if durable:
                fsync_dir(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644, *,
                       durable: bool = True) -> None:
    with atomic_writer(path, mode, durable=durable) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)
