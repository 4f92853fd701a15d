"""Incremental reads of one JSONL manifest: parse only what was appended since the last read.

A :class:`ManifestCursor` remembers the byte offset it read up to and a fingerprint of the
prefix it parsed (the file's inode, its first bytes and its last line). On :meth:`refresh`:

- the file's (inode, mtime, size) is unchanged: nothing to do (one ``stat``);
- the same inode grew and the fingerprint still matches what lies before the offset (or
  nothing was read yet: no file, or an empty one): the lines after the offset were appended
  (by this or another process) and only they are parsed;
- anything else (a rewrite, which renames a new file in and so changes the inode; a truncation;
  an edit in place that changed the size or the fingerprint; a same-size change): the whole
  file is read again. Records are evidence, so a doubt always costs a full read, never a
  stale state.

Every record read goes through the manifest's validation (a bad line raises
:class:`~dermforge.errors.RecordError` naming file and line) and the optional ``check``; a
failed refresh leaves the cursor as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from ..schemas import Record
from ._manifest import Manifest

__all__ = ["ManifestCursor"]

R = TypeVar("R", bound=Record)
Check = Callable[[R, Path, int], None]
_HEAD = 256
Stamp = tuple[int, int, int]


class ManifestCursor(Generic[R]):
    """The records of one manifest, kept up to date by reading only appended lines.

    ``records`` holds every record in file order; ``reloads`` counts full reads, so a reader
    that remembers ``(reloads, len(records))`` can tell "appended since" (same reloads: the
    new records are ``records[n:]``) from "re-read" (reloads changed: start again).
    """

    def __init__(self, manifest: Manifest[R], check: Check[R] | None = None) -> None:
        self.manifest = manifest
        self.check = check
        self.records: list[R] = []
        self.reloads = 0
        self._stamp: Stamp = (0, 0, 0)
        self._offset = 0
        self._head = b""
        self._last = b""

    @property
    def stamp(self) -> Stamp:
        """(inode, mtime, size) of the file when last read; zeros for no file."""
        return self._stamp

    def version(self) -> tuple[int, int]:
        return (self.reloads, len(self.records))

    def refresh(self) -> list[R] | None:
        """Bring ``records`` up to date; return the records appended since the last refresh
        (``[]``: none), or None when the file was read again in full."""
        stamp = _stamp(self.manifest.path)
        if stamp == self._stamp:
            return []
        if stamp == (0, 0, 0):
            self._reset([], stamp, 0, b"", b"")
            return None
        with self.manifest.path.open("rb") as handle:
            size = self.manifest.settled_size(handle)
            fd = handle.fileno()
            now = os.fstat(fd)
            settled: Stamp = (now.st_ino, now.st_mtime_ns, size)
            if self._is_append(fd, settled):
                data = os.pread(fd, size - self._offset, self._offset)
                new = self._parse(data, len(self.records) + 1)
                self.records.extend(new)
                self._advance(settled, data)
                return new
            data = os.pread(fd, size, 0)
        self._reset(self._parse(data, 1), settled, size, data[:_HEAD], _last_line(data))
        return None

    def _is_append(self, fd: int, stamp: Stamp) -> bool:
        if self._offset == 0:  # nothing read yet (no file, or an empty one): all of it is new
            return stamp[2] > 0
        if stamp[0] != self._stamp[0] or stamp[2] <= self._offset:
            return False
        head = os.pread(fd, len(self._head), 0)
        last = os.pread(fd, len(self._last), self._offset - len(self._last))
        return head == self._head and last == self._last

    def _parse(self, data: bytes, first_line: int) -> list[R]:
        records = []
        for number, raw in enumerate(data.splitlines(keepends=True), start=first_line):
            record = self.manifest.parse_line(raw, number)
            if self.check is not None:
                self.check(record, self.manifest.path, number)
            records.append(record)
        return records

    def _advance(self, stamp: Stamp, data: bytes) -> None:
        self._stamp = stamp
        self._offset += len(data)
        if len(self._head) < _HEAD:
            self._head = (self._head + data)[:_HEAD]
        if data:
            self._last = _last_line(data)

    def _reset(self, records: list[R], stamp: Stamp, offset: int, head: bytes,
               last: bytes) -> None:
        self.records = records
        self.reloads += 1
        self._stamp, self._offset, self._head, self._last = stamp, offset, head, last


def _last_line(data: bytes) -> bytes:
    """The last line of ``data`` with its newline (all of it when it holds one line)."""
    start = data.rfind(b"\n", 0, max(len(data) - 1, 0))
    return data[start + 1:]


def _stamp(path: Path) -> Stamp:
    """(inode, mtime, size) of a file; zeros when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)
