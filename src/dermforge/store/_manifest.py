"""JSONL manifests: one validated record per line; appends in place, rewrites atomically,
both under a lock."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Generic, TypeVar

import pydantic
from filelock import FileLock, Timeout

from .._atomic import atomic_writer, fsync_dir, storage_errors
from ..errors import RecordError
from ..schemas import Record

__all__ = ["Manifest", "format_validation_error"]

R = TypeVar("R", bound=Record)


def format_validation_error(exc: pydantic.ValidationError) -> tuple[str | None, str]:
    """(field path, reason quoting the bad value) of the first error."""
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    reason = first["msg"]
    if first["type"] not in ("missing", "json_invalid") and "input" in first:
        shown = repr(first["input"])
        reason = f"{reason} (got {shown[:120]})"
    return field, reason


class Manifest(Generic[R]):
    """A file of ``model`` records, one JSON object per line.

    Appends write the new lines at the end of the file in one write and fsync it, holding
    a lock (O(1): the file is never copied); if the write fails the file is cut back to its
    old length, and a line left incomplete by a killed writer is removed by the next append.
    Rewrites go to a temp file that is fsynced and renamed over the old one under the lock,
    so a crash leaves either the old or the new file. Reading stops at the length the file
    had when no writer held the lock, so a reader never sees half an append. Reading
    validates every line; a bad or truncated line raises :class:`RecordError` naming the
    file, the line, the field and the reason.
    """

    def __init__(self, path: Path, model: type[R]) -> None:
        self.path = path
        self.model = model
        self._lock = FileLock(str(path.parent / f".{path.name}.lock"))

    def exists(self) -> bool:
        return self.path.is_file()

    def __iter__(self) -> Iterator[R]:
        if not self.path.is_file():
            return
        with self.path.open("rb") as handle:
            size = self.settled_size(handle)
            lines = io.BufferedReader(_Bounded(handle, size))
            for number, raw in enumerate(lines, start=1):
                yield self.parse_line(raw, number)

    def settled_size(self, handle: io.BufferedReader) -> int:
        """The file's length while no writer holds the lock (the end of the last append)."""
        try:
            with self._lock.acquire(timeout=30):
                return os.fstat(handle.fileno()).st_size
        except (OSError, Timeout):  # a read-only folder, or a stuck writer: read what is there
            return os.fstat(handle.fileno()).st_size

    def read(self) -> list[R]:
        return list(self)

    def parse_line(self, raw: bytes, number: int) -> R:
        if not raw.endswith(b"\n"):
            raise RecordError(
                path=str(self.path),
                line=number,
                field=None,
                reason="the line is incomplete (no newline at the end): the write was cut off",
                fix="delete that last line; the stage that wrote it will redo the record",
            )
        if not raw.strip():
            raise RecordError(
                path=str(self.path), line=number, field=None, reason="empty line",
                fix="delete the empty line",
            )
        try:
            return self.model.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            field, reason = format_validation_error(exc)
            raise RecordError(
                path=str(self.path),
                line=number,
                field=field,
                reason=f"not a valid {self.model.__name__} record: {reason}",
                fix="correct or remove the line, or re-run the stage that wrote the file",
            ) from None

    @staticmethod
    def _line(record: Record) -> bytes:
        return record.model_dump_json().encode("utf-8") + b"\n"

    def append(self, records: Iterable[R]) -> int:
        """Append records (all or none) at the end of the file; return how many."""
        data = b"".join(self._line(self._checked(r)) for r in records)
        if not data:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, storage_errors(self.path):
            created = not self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                start = _complete_length(fd)
                try:
                    os.ftruncate(fd, start)  # drop a line a killed writer left incomplete
                    _write_all(fd, data, start)
                    os.fsync(fd)
                except BaseException:
                    os.ftruncate(fd, start)
                    raise
            finally:
                os.close(fd)
            if created:
                fsync_dir(self.path.parent)
        return data.count(b"\n")

    def clean_leftovers(self) -> list[Path]:
        """Remove the temp files of rewrites a killed process left; return them.

        Runs under the lock, so no live writer's temp file is touched.
        """
        if not self.path.parent.is_dir():
            return []
        with self._lock:
            stale = sorted(self.path.parent.glob(f".{self.path.name}.*.tmp"))
            for path in stale:
                path.unlink(missing_ok=True)
        return stale

    def rewrite(self, records: Iterable[R]) -> int:
        """Replace the whole file atomically; return how many records were written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with self._lock, atomic_writer(self.path) as out:
            for record in records:
                out.write(self._line(self._checked(record)))
                count += 1
        return count

    def replace(self, records: Sequence[R]) -> bool:
        """Rewrite the file with ``records`` unless it already holds exactly them, byte for
        byte (an unreadable file is replaced); True when the file changed. A stage whose
        output is unchanged leaves its file, and its modification time, alone."""
        data = b"".join(self._line(self._checked(r)) for r in records)
        if self.path.is_file() and self.path.read_bytes() == data:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, atomic_writer(self.path) as out:
            out.write(data)
        return True

    def update(self, change: Callable[[list[R]], list[R]]) -> bool:
        """Read, ``change`` and rewrite the records under one lock; False if nothing changed.

        Other writers (say, a second generation shard) wait, so none of their appends is lost.
        """
        with self._lock:
            records = self.read()
            changed = change(list(records))
            if changed == records:
                return False
            self.rewrite(changed)
            return True

    def _checked(self, record: R) -> R:
        if not isinstance(record, self.model):
            raise TypeError(f"{self.path} holds {self.model.__name__} records, got {record!r}")
        return record


class _Bounded(io.RawIOBase):
    """The first ``size`` bytes of an open file, as a raw stream."""

    def __init__(self, handle: io.BufferedReader, size: int) -> None:
        self._handle = handle
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: self._left]
        n = self._handle.readinto(view)
        self._left -= n or 0
        return n or 0


def _complete_length(fd: int) -> int:
    """Length of the file up to and including its last newline (0 if it has none)."""
    end = os.lseek(fd, 0, os.SEEK_END)
    position = end
    while position > 0:
        step = min(65536, position)
        chunk = os.pread(fd, step, position - step)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return position - step + newline + 1
        position -= step
    return 0


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written
