"""A throw-away SQLite file holding the build's keys, offsets and per-candidate facts.

The build's working state grows with the number of candidates; keeping it on disk (with a
small page cache) instead of in Python dicts keeps the builder's memory flat. Tables keyed by
a text id are ``WITHOUT ROWID`` (one B-tree, not a table and an index: half the writes).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["BuildDB", "Sink"]

_BATCH = 5000
_SCHEMA = """
CREATE TABLE cands (cid TEXT PRIMARY KEY, seed TEXT, created_us INTEGER, request TEXT,
                    idx INTEGER, sha TEXT, px INTEGER, seedless INTEGER,
                    dup INTEGER DEFAULT 0) WITHOUT ROWID;
CREATE TABLE reqs (rid TEXT PRIMARY KEY, img TEXT, mask TEXT, prompt TEXT, t2i INTEGER,
                   edit INTEGER) WITHOUT ROWID;
CREATE TABLE decisions (cid TEXT PRIMARY KEY, decision TEXT, decided_us INTEGER,
                        reviewer TEXT) WITHOUT ROWID;
CREATE TABLE hv (cid TEXT, reviewer TEXT, role TEXT, seq INTEGER, json TEXT,
                 PRIMARY KEY (cid, reviewer, role));
CREATE INDEX hv_seq ON hv (cid, seq);
CREATE TABLE assigned (cid TEXT, reviewer TEXT, PRIMARY KEY (cid, reviewer));
CREATE TABLE seedinfo (seed TEXT PRIMARY KEY, condition TEXT, grp TEXT);
CREATE TABLE condrank (condition TEXT PRIMARY KEY, rank INTEGER);
CREATE TABLE tests (sid TEXT, exp TEXT, PRIMARY KEY (sid, exp));
CREATE TABLE seedkeys (k TEXT PRIMARY KEY, seed TEXT, crop TEXT, mask TEXT);
CREATE TABLE unfit (tbl TEXT, ln INTEGER, field TEXT, value TEXT,
                    PRIMARY KEY (tbl, ln, field)) WITHOUT ROWID;
CREATE TABLE cur (cid TEXT PRIMARY KEY, verdict TEXT) WITHOUT ROWID;
CREATE TABLE prev (cid TEXT PRIMARY KEY, verdict TEXT, added TEXT);
CREATE TABLE prev_syn (cid TEXT PRIMARY KEY, added TEXT);
CREATE TABLE prev_seeds (k TEXT PRIMARY KEY, added TEXT);
"""


class BuildDB:
    """One SQLite file in a private temp folder (or ``folder``); ``close()`` deletes it."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder: Path | None = folder or Path(tempfile.mkdtemp(prefix="dermforge-build-"))
        #: the folder of the database and of the scan's column files (``_columns``)
        self.files: Path = self.folder
        self.conn = sqlite3.connect(self.folder / "build.sqlite")
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8192",
                       "temp_store=FILE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.executescript(_SCHEMA)

    def snapshot(self) -> Path:
        """Commit, and copy the database to a file beside it that worker processes open
        read-only (:meth:`reader`) while this connection goes on writing."""
        if self.folder is None:
            raise RuntimeError("a read-only view has no snapshot")
        self.conn.commit()
        path = self.folder / "snapshot.sqlite"
        path.unlink(missing_ok=True)
        copy = sqlite3.connect(path)
        try:
            self.conn.backup(copy)
        finally:
            copy.close()
        return path

    @classmethod
    def reader(cls, path: Path) -> BuildDB:
        """A read-only view of a :meth:`snapshot` (nothing else writes it; close() keeps it)."""
        db = cls.__new__(cls)
        db.folder = None
        db.files = path.parent
        db.conn = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        db.conn.execute("PRAGMA cache_size=-8192")
        return db

    def create_offsets(self, table: str) -> None:
        self.conn.execute(f"CREATE TABLE {table} (k TEXT PRIMARY KEY, off INTEGER, rank INTEGER, "
                          "ln INTEGER) WITHOUT ROWID")

    def insert(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                self.conn.executemany(sql, batch)
                batch.clear()
        if batch:
            self.conn.executemany(sql, batch)

    def sink(self, sql: str) -> Sink:
        return Sink(self, sql)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Stream a query's rows in chunks (other statements may run in between)."""
        cursor = self.conn.execute(sql, params)
        while chunk := cursor.fetchmany(1000):
            yield from chunk

    def close(self) -> None:
        self.conn.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class Sink:
    """Rows for one INSERT statement, written in batches."""

    def __init__(self, db: BuildDB, sql: str) -> None:
        self.db, self.sql = db, sql
        self._rows: list[Sequence[Any]] = []

    def add(self, row: Sequence[Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self.db.conn.executemany(self.sql, self._rows)
            self._rows.clear()
