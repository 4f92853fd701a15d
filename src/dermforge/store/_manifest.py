"""JSONL manifests: one validated record per line, rewritten atomically under a lock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

import pydantic
from filelock import FileLock

from .._atomic import atomic_writer
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

    Appends and rewrites copy the file to a temp file, fsync it and rename it over
    the old one while holding a lock, so a crash leaves either the old or the new
    file. Reading validates every line; a bad or truncated line raises
    :class:`RecordError` naming the file, the line, the field and the reason.
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
            for number, raw in enumerate(handle, start=1):
                yield self._parse(raw, number)

    def read(self) -> list[R]:
        return list(self)

    def _parse(self, raw: bytes, number: int) -> R:
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
        """Append records atomically; return how many were written."""
        lines = [self._line(self._checked(r)) for r in records]
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, atomic_writer(self.path) as out:
            if self.path.is_file():
                with self.path.open("rb") as old:
                    while chunk := old.read(1 << 20):
                        out.write(chunk)
            out.writelines(lines)
        return len(lines)

    def rewrite(self, records: Iterable[R]) -> int:
        """Replace the whole file atomically; return how many records were written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with self._lock, atomic_writer(self.path) as out:
            for record in records:
                out.write(self._line(self._checked(record)))
                count += 1
        return count

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
