"""The partial folder a build writes into, and what killed builds left of theirs.

A build writes ``.NAME.partial-PID-XXXXXXXX`` beside ``--out NAME`` and renames it to NAME
only when complete. The rename is atomic and never replaces a non-empty folder, so of two
builds racing into one ``--out`` exactly one wins; the other gets a ReleaseError and removes
its partial folder. A build that was killed (SIGKILL, power loss) cannot remove its own: the
next build into the same ``--out`` removes every such folder whose PID is no longer alive.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from .._atomic import fsync_dir, storage_errors
from ..errors import ReleaseError

__all__ = ["clean_partials", "partial"]

_SUFFIX = re.compile(r"(\d+)(?:-[0-9a-f]+)?")


def _prefix(out: Path) -> str:
    return f".{out.name}.partial-"


def clean_partials(out: Path) -> list[Path]:
    """Remove the partial folders of builds into ``out`` whose process is gone; return them."""
    if not out.parent.is_dir():
        return []
    cleaned = []
    for entry in sorted(out.parent.glob(glob.escape(_prefix(out)) + "*")):
        match = _SUFFIX.fullmatch(entry.name[len(_prefix(out)):])
        if match is None or entry.is_symlink() or not entry.is_dir():
            continue
        pid = int(match.group(1))
        if _alive(pid):
            continue  # a build still running (or a PID this machine reuses): left alone
        try:
            shutil.rmtree(entry)
        except OSError as exc:
            raise ReleaseError(f"could not remove {entry}, left by a killed build (PID {pid}): "
                               f"{exc.strerror}", fix=f"remove {entry} by hand") from None
        cleaned.append(entry)
    return cleaned


def _alive(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid():
        return True  # ours: another build in this process, never a killed one
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, owned by another user
        return True
    return True


@contextlib.contextmanager
def partial(out: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield a new partial folder beside ``out``; rename it to ``out`` if the block succeeds,
    remove it whatever else happens. ``replace``: ``out`` exists and is exchanged with the
    partial folder in one atomic step (then removed), so readers see the old folder or the
    new one, never a mix."""
    with storage_errors(out.parent):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f"{_prefix(out)}{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()
    try:
        with storage_errors(tmp):
            yield tmp
            for folder, _, _ in os.walk(tmp):
                fsync_dir(Path(folder))
            if replace:
                _exchange(tmp, out)
            else:
                _rename(tmp, out)
            fsync_dir(out.parent)
        if replace:
            shutil.rmtree(tmp)  # the old folder, now under the partial name
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _rename(tmp: Path, out: Path) -> None:
    try:
        os.rename(tmp, out)  # atomic; replaces only an empty folder
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
        raise ReleaseError(
            f"{out} was created by another build (or by hand) while this build was writing "
            "it; a built release is never overwritten, so this build's copy was removed",
            fix=f"check that {out} is the release you want (`dermforge verify {out}`), or "
                "build again into a new --out folder") from None


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(tmp: Path, out: Path) -> None:
    """Swap ``tmp`` and ``out`` atomically (Linux renameat2 RENAME_EXCHANGE); where that is
    not available, two renames (``out`` is absent for an instant, never half-written)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(tmp), _AT_FDCWD, os.fsencode(out),
                     _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(out))
    old = tmp.with_name(tmp.name + "-old")
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    os.rename(old, tmp)
