"""One manifest scanned in a forked process while this one scans the others.

The child validates every line as :func:`~dermforge.builder._index.scan` does and writes
what it found (the file's offsets table and e.g. the ``cands`` facts) into a SQLite file of
its own, and its column files beside it; :meth:`SideScan.join` waits for it, re-raises its
error as it was, or copies those tables into the build's database (and moves the column files
beside it). Linux only (fork); elsewhere the caller scans in-process.
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._columns import column_path
from ._db import BuildDB

__all__ = ["Failure", "SideScan"]


@dataclass(frozen=True)
class Failure:
    """An exception raised in another process, carried back without calling its __init__."""

    kind: type[BaseException]
    args: tuple[Any, ...]
    state: dict[str, Any]

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        return cls(type(exc), exc.args, dict(vars(exc)))

    def exception(self) -> BaseException:
        exc = self.kind.__new__(self.kind)
        exc.args = self.args
        exc.__dict__.update(self.state)
        return exc


def _child(work: Callable[[BuildDB], None], folder: Path, send: Any) -> None:
    db = BuildDB(folder)
    try:
        work(db)
        db.conn.commit()
        db.conn.close()
        send.send(None)
    except Exception as exc:  # re-raised by join(), as it was
        db.conn.close()
        send.send(Failure.of(exc))


class SideScan:
    """``work(db)`` run in a forked process on a database of its own (in a folder made
    here, so that this process removes it whatever becomes of the child)."""

    def __init__(self, work: Callable[[BuildDB], None]) -> None:
        context = multiprocessing.get_context("fork")
        self._folder = Path(tempfile.mkdtemp(prefix="dermforge-build-"))
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(work, self._folder, send),
                                        daemon=True)
        self._process.start()
        send.close()

    def join(self, db: BuildDB, tables: Sequence[str]) -> None:
        """Wait; raise the child's error, or copy its ``tables`` into ``db``."""
        try:
            result = self._receive.recv()
        except EOFError:  # killed (e.g. out of memory) before it could answer
            result = False
        finally:
            self._process.join()
            self._receive.close()
        try:
            if isinstance(result, Failure):
                raise result.exception() from None
            if result is not None:
                raise RuntimeError(f"the process scanning candidates ended with exit code "
                                   f"{self._process.exitcode}")
            db.conn.execute("ATTACH DATABASE ? AS side", (str(self._folder / "build.sqlite"),))
            for table in tables:
                if not table.isidentifier():
                    raise ValueError(f"table names are identifiers, got {table!r}")
                db.conn.execute(f"INSERT INTO {table} SELECT * FROM side.{table}")  # noqa: S608
            db.conn.commit()
            db.conn.execute("DETACH DATABASE side")
            for table in tables:  # and the column files the child's scan wrote
                written = column_path(self._folder, table)
                if written.exists():
                    shutil.move(written, column_path(db.files, table))
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def abandon(self) -> None:
        """Stop the child (this process failed first) and remove what it wrote."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()
        shutil.rmtree(self._folder, ignore_errors=True)
