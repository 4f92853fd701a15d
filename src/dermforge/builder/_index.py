"""Everything the build reads from a workspace, indexed on disk so memory stays flat.

Each manifest is scanned once — every line is validated, so a bad line fails the build
naming file and line — and only keys, byte offsets, line numbers and a few facts per record
go into the build's SQLite file; what a release row takes from a record goes, in the row's
arrow types, into the manifest's column file (``_columns``), from which rows are assembled
(``_assemble``). Records are parsed again only to name what is missing from a lineage, and
by :meth:`RecordFile.get` for other readers (a small cache serves the records that a seed's
candidates share). With ``side_scan`` the candidates, and
the seeds' sources, crops, masks and prompts, and the signals are scanned in a forked process
(``_sidescan``) while this one scans splits, seeds, requests and the verdict logs.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Generic, TypeVar

import pydantic

from ..curation import FinalDecision, check_log_line, decide, winning_verdict
from ..errors import MissingInputError, RecordError
from ..schemas import (
    Assignment,
    Candidate,
    CandidateSignals,
    Crop,
    CurationRule,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    Record,
    Seed,
    SourceImage,
    SplitMembership,
    fst_group,
)
from ..store import MANIFEST_FILES, Manifest, Workspace, format_validation_error
from ._columns import SPECS, ColumnSink, column_path
from ._db import BuildDB
from ._decisions import final_decision, merge_decisions, micros
from ._sidescan import SideScan

__all__ = ["KEY_SEP", "SIDE_SCAN_FROM", "TEXT_TO_IMAGE_KEY", "RecordFile", "WorkspaceIndex",
           "key_text", "micros", "scan"]

#: prefix of the ``cands.seed`` / ``seedinfo`` key of a text-to-image request (no seed)
TEXT_TO_IMAGE_KEY = "text-to-image:"

R = TypeVar("R", bound=Record)
K = TypeVar("K", bound=Hashable)
_CACHE = 512
#: candidates.jsonl from this size on is scanned in a forked process (forking costs more
#: below: about 2,000 candidates)
SIDE_SCAN_FROM = 2**20


#: between the parts of a tuple key in its TEXT form
KEY_SEP = "\x1f"


def key_text(key: object) -> str:
    """A key (a string or a tuple of them) as one TEXT value."""
    return KEY_SEP.join(map(str, key)) if isinstance(key, tuple) else str(key)


def _parse(manifest: Manifest[R], raw: bytes, number: int) -> R:
    if not raw.endswith(b"\n"):
        raise RecordError(path=str(manifest.path), line=number, field=None,
                          reason="the line is incomplete (no newline at the end)",
                          fix="delete that last line; the stage that wrote it will redo it")
    try:
        return manifest.model.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        name, reason = format_validation_error(exc)
        raise RecordError(path=str(manifest.path), line=number, field=name,
                          reason=f"not a valid {manifest.model.__name__} record: {reason}",
                          fix="correct or remove the line, or re-run the stage that wrote it"
                          ) from None


def scan(manifest: Manifest[R], handle: IO[bytes] | None = None) -> Iterator[tuple[int, R]]:
    """(byte offset, record) of every line, validating each (from ``handle`` if given)."""
    if handle is None:
        if not manifest.exists():
            return
        with manifest.path.open("rb") as own:
            yield from scan(manifest, own)
        return
    offset = 0
    for number, raw in enumerate(handle, start=1):
        yield offset, _parse(manifest, raw, number)
        offset += len(raw)


class RecordFile(Generic[K, R]):
    """A manifest's records by key, read on demand. A later line replaces an earlier one
    with the same key unless ``rank`` says it ranks lower (e.g. an older prompt revision).

    The file stays open from the scan on, so records are read from the very file that was
    scanned even if a stage replaces it meanwhile. Its table (``k``, ``off``, ``rank``,
    ``ln``: the winning line's offset and number) is named in :data:`~._columns.SPECS` when
    release rows take values from it: the scan then writes its column file too.
    """

    def __init__(self, db: BuildDB, table: str, manifest: Manifest[R],
                 key: Callable[[R], K | None], *, visit: Callable[[R], None] | None = None,
                 rank: Callable[[R], int] | None = None, fill: bool = True) -> None:
        """``fill=False``: the offsets table stays empty (:meth:`fill` it, e.g. elsewhere)."""
        self.db, self.table, self.manifest, self.key = db, table, manifest, key
        self._rank = rank
        self._handle: IO[bytes] | None = manifest.path.open("rb") if manifest.exists() else None
        self._cache: OrderedDict[str, R] = OrderedDict()
        if not table.isidentifier():
            raise ValueError(f"table names are identifiers, got {table!r}")
        db.create_offsets(table)
        # table names are constants of this module, never input: S608 does not apply
        self._select = f"SELECT off FROM {table} WHERE k = ?"  # noqa: S608
        if fill:
            self.fill(db, visit)

    def fill(self, db: BuildDB, visit: Callable[[R], None] | None = None) -> None:
        """Scan the file (validating every line) into ``db``'s offsets table, from its
        start, through a handle of its own on the very file opened (Linux: ``/proc``)."""
        if db is not self.db:  # another process: not the handle (nor the offset) of this one
            db.create_offsets(self.table)
        if self._handle is None:
            return
        sql = (f"INSERT INTO {self.table} (k, off, rank, ln) VALUES (?, ?, ?, ?) "  # noqa: S608
               "ON CONFLICT(k) DO UPDATE SET off = excluded.off, rank = excluded.rank, "
               "ln = excluded.ln WHERE excluded.rank >= rank")
        own = (open(f"/proc/self/fd/{self._handle.fileno()}", "rb")  # noqa: SIM115
               if db is not self.db else None)
        handle, key, rank = own or self._handle, self.key, self._rank
        spec = SPECS.get(self.table)
        columns = ColumnSink(column_path(db.files, self.table), spec) if spec else None

        def rows() -> Iterator[tuple[str, int, int, int]]:
            handle.seek(0)
            for line, (offset, record) in enumerate(scan(self.manifest, handle)):
                if visit is not None:
                    visit(record)
                if columns is not None:
                    columns.add(record)
                k = key(record)
                if k is not None:
                    yield key_text(k), offset, rank(record) if rank else 0, line

        try:
            db.insert(sql, rows())
        except BaseException:
            if columns is not None:
                columns.abort()
            raise
        finally:
            if own is not None:
                own.close()
        if columns is not None:
            columns.close()
            db.insert("INSERT INTO unfit VALUES (?, ?, ?, ?)",
                      ((self.table, *line) for line in columns.unfit))

    def __contains__(self, k: object) -> bool:
        return self.db.one(self._select, (key_text(k),)) is not None

    def get(self, k: K) -> R | None:
        text = key_text(k)
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        if self._handle is None:  # no such manifest
            return None
        offset = self.db.one(self._select, (text,))
        if offset is None:
            return None
        self._handle.seek(offset)
        record = _parse(self.manifest, self._handle.readline(), 0)
        if key_text(self.key(record)) != text:  # pragma: no cover - offsets come from the scan
            raise RuntimeError(f"{self.manifest.path}: offset {offset} does not hold {text!r}")
        self._cache[text] = record
        if len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        return record

    def at(self, offset: int | None) -> R | None:
        """The record at ``offset`` (from this file's table; None: no record)."""
        if offset is None or self._handle is None:
            return None
        self._handle.seek(offset)
        return _parse(self.manifest, self._handle.readline(), 0)

    def reattach(self, db: BuildDB) -> None:
        """Read offsets from ``db`` and records through a new handle on the very file that
        was scanned (Linux: ``/proc/self/fd``): for a forked worker, which must share
        neither the parent's SQLite connection nor its file offset."""
        self.db = db
        if self._handle is not None:
            self._handle = open(f"/proc/self/fd/{self._handle.fileno()}", "rb")  # noqa: SIM115

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class WorkspaceIndex:
    workspace: Workspace
    db: BuildDB
    seeds: RecordFile[str, Seed]
    sources: RecordFile[str, SourceImage]
    crops: RecordFile[tuple[str, str], Crop]
    masks: RecordFile[tuple[str, str, str], Mask]
    prompts: RecordFile[tuple[str, str], Prompt]
    requests: RecordFile[str, GenerationRequest]
    verdicts: RecordFile[str, CurationVerdict]
    auto_verdicts: RecordFile[str, CurationVerdict]
    candidates: RecordFile[str, Candidate]
    conditions: set[str]
    signals: RecordFile[str, CandidateSignals]
    rule: CurationRule = "single"

    @classmethod
    def load(cls, workspace: Workspace, db: BuildDB, rule: CurationRule = "single", *,
             side_scan: bool = False) -> WorkspaceIndex:
        """Scan every manifest (``side_scan``: the candidates and the files after them in a
        forked process, beside the verdict logs, when candidates.jsonl is at least
        :data:`SIDE_SCAN_FROM` bytes; errors come in the same order either way); ``rule``
        (params curate.rule) makes the final decisions."""
        for model in (Candidate, SplitMembership):
            if not workspace.manifest(model).exists():
                raise MissingInputError(
                    f"{workspace.records_dir / MANIFEST_FILES[model]} does not exist",
                    fix="run the earlier stages first (`dermforge splits` writes splits, "
                    "generation writes candidates)",
                )
        files = _side_files(workspace, db)
        side = None
        if side_scan and workspace.manifest(Candidate).path.stat().st_size >= SIDE_SCAN_FROM:
            side = SideScan(lambda own: _fill_side(files, own))
        try:
            first = _scan_first(workspace, db, rule)
        except BaseException:
            if side is not None:
                side.abandon()
            raise
        if side is not None:  # its error comes after those above, as when scanned here
            side.join(db, ("cands", "unfit", *(f.table for f in files)))
        else:
            _fill_side(files, db)
        candidates, sources, crops, masks, prompts, signals = files
        return cls(workspace=workspace, db=db, seeds=first.seeds, sources=sources,
                   crops=crops, masks=masks, prompts=prompts, requests=first.requests,
                   verdicts=first.verdicts, auto_verdicts=first.auto_verdicts,
                   candidates=candidates, conditions=first.conditions, signals=signals,
                   rule=rule)

    def prompt(self, source_id: str, text: str) -> Prompt | None:
        return self.prompts.get((source_id, text))

    def verdict(self, candidate_id: str) -> CurationVerdict | None:
        """The verdict that counts (the curation's merge rule over both logs)."""
        return winning_verdict(self.verdicts.get(candidate_id),
                               self.auto_verdicts.get(candidate_id))

    def final(self, candidate_id: str) -> FinalDecision | None:
        """The candidate's final decision by the rule, with every verdict it weighed (the
        rule single weighs the candidate's last human line alone: no table ``hv``)."""
        if self.rule == "single":
            human = self.verdicts.get(candidate_id)
            return decide("single", [human] if human else [],
                          None if human else self.auto_verdicts.get(candidate_id))
        return final_decision(self.db, self.rule, candidate_id,
                              lambda: self.auto_verdicts.get(candidate_id))

    def reattach(self, db: BuildDB) -> None:
        """See :meth:`RecordFile.reattach` (in a forked worker process)."""
        self.db = db
        for f in self.record_files():
            f.reattach(db)

    def record_files(self) -> tuple[RecordFile[Any, Any], ...]:
        return (self.seeds, self.sources, self.crops, self.masks, self.prompts,
                self.requests, self.verdicts, self.auto_verdicts, self.candidates,
                self.signals)

    def close(self) -> None:
        for f in self.record_files():
            f.close()


def _seed_key(c: Candidate) -> str:
    """The ``cands.seed`` of a candidate: its seed, or for text-to-image its request's key
    (whose ``seedinfo`` row holds the condition and group the request states)."""
    return c.source_id if c.source_id is not None else TEXT_TO_IMAGE_KEY + c.request_id


@dataclass
class _First:
    conditions: set[str]
    seeds: RecordFile[str, Seed]
    requests: RecordFile[str, GenerationRequest]
    verdicts: RecordFile[str, CurationVerdict]
    auto_verdicts: RecordFile[str, CurationVerdict]


def _scan_first(workspace: Workspace, db: BuildDB, rule: CurationRule) -> _First:
    """Splits, seeds, requests, both verdict logs and the assignments: the conditions
    (and each text-to-image request's condition and group), the decisions, those files."""
    conditions: set[str] = set()

    def tests() -> Iterator[tuple[str, str]]:
        for _, m in scan(workspace.manifest(SplitMembership)):
            conditions.add(m.condition)
            if m.role == "test":
                yield m.source_id, m.experiment

    db.insert("INSERT OR IGNORE INTO tests VALUES (?, ?)", tests())
    info = db.sink("INSERT OR REPLACE INTO seedinfo VALUES (?, ?, ?)")

    def visit_seed(s: Seed) -> None:
        conditions.add(s.condition)
        info.add((s.source_id, s.condition, s.group))

    seeds: RecordFile[str, Seed] = RecordFile(db, "f_seeds", workspace.manifest(Seed),
                                              lambda s: s.source_id, visit=visit_seed)

    reqs = db.sink("INSERT OR REPLACE INTO reqs VALUES (?, ?, ?, ?, ?, ?)")

    def visit_request(r: GenerationRequest) -> None:  # text-to-image: no seed record
        reqs.add((r.request_id, r.image_sha256, r.mask_sha256, r.prompt, r.text_to_image,
                  r.operation == "edit"))
        if r.condition is not None and r.fitzpatrick is not None:
            conditions.add(r.condition)
            info.add((TEXT_TO_IMAGE_KEY + r.request_id, r.condition,
                      fst_group(r.fitzpatrick)))

    requests: RecordFile[str, GenerationRequest] = RecordFile(
        db, "f_requests", workspace.manifest(GenerationRequest), lambda r: r.request_id,
        visit=visit_request)
    info.flush()
    reqs.flush()
    verdicts = _verdict_file(db, "human", workspace.manifest(CurationVerdict),
                             people=rule != "single")
    auto_verdicts = _verdict_file(db, "auto", workspace.auto_verdicts())
    db.insert("INSERT OR IGNORE INTO assigned VALUES (?, ?)",
              ((a.candidate_id, a.reviewer) for _, a in scan(workspace.manifest(Assignment))))
    merge_decisions(db, rule)
    return _First(conditions, seeds, requests, verdicts, auto_verdicts)


_SideFiles = tuple[RecordFile[str, Candidate], RecordFile[str, SourceImage],
                   RecordFile[tuple[str, str], Crop], RecordFile[tuple[str, str, str], Mask],
                   RecordFile[tuple[str, str], Prompt], RecordFile[str, CandidateSignals]]


def _side_files(workspace: Workspace, db: BuildDB) -> _SideFiles:
    """The files scanned beside the verdict logs (in a forked process with ``side_scan``):
    the candidates, and the seeds' sources, crops, masks and prompts, and the signals; in
    that order, as in this process."""
    return (
        RecordFile(db, "f_candidates", workspace.manifest(Candidate), lambda c: c.candidate_id,
                   fill=False),
        RecordFile(db, "f_sources", workspace.manifest(SourceImage), lambda s: s.source_id,
                   fill=False),
        RecordFile(db, "f_crops", workspace.manifest(Crop), lambda c: (c.source_id, c.sha256),
                   fill=False),
        RecordFile(db, "f_masks", workspace.manifest(Mask),
                   lambda m: (m.source_id, m.crop_sha256, m.sha256), fill=False),
        RecordFile(db, "f_prompts", workspace.manifest(Prompt), lambda p: (p.source_id, p.text),
                   rank=lambda p: p.revision, fill=False),
        RecordFile(db, "f_signals", workspace.manifest(CandidateSignals),
                   lambda s: s.candidate_id, fill=False))


def _fill_side(files: _SideFiles, db: BuildDB) -> None:
    _fill_candidates(files[0], db)
    for file in files[1:]:
        file.fill(db)


def _fill_candidates(candidates: RecordFile[str, Candidate], db: BuildDB) -> None:
    """The candidates' offsets, and their facts (table ``cands``), into ``db``."""
    cands = db.sink("INSERT INTO cands (cid, seed, created_us, request, idx, sha, px, "
                    "seedless) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(cid) DO UPDATE "
                    "SET dup = 1, sha = excluded.sha, px = excluded.px, "
                    "seedless = excluded.seedless")
    candidates.fill(db, lambda c: cands.add((c.candidate_id, _seed_key(c),
                                             micros(c.created), c.request_id, c.index,
                                             c.sha256, c.width * c.height,
                                             c.source_id is None)))
    cands.flush()


def _verdict_file(db: BuildDB, log: str, manifest: Manifest[CurationVerdict], *,
                  people: bool = False) -> RecordFile[str, CurationVerdict]:
    """One verdict log by candidate (its last line wins), every line checked to belong in
    that log; its decisions go to the table ``dec_<log>``, and (``people``: the human log
    under a rule that weighs several people) the latest line of each reviewer and role per
    candidate to ``hv``."""
    automatic = log == "auto"
    # log: "human" or "auto", never input
    db.conn.execute(f"CREATE TABLE dec_{log} (cid TEXT PRIMARY KEY, decision TEXT, "
                    "decided_us INTEGER, reviewer TEXT) WITHOUT ROWID")
    sink = db.sink(f"INSERT OR REPLACE INTO dec_{log} VALUES (?, ?, ?, ?)")  # noqa: S608
    lines_of = db.sink("INSERT OR REPLACE INTO hv VALUES (?, ?, ?, ?, ?)")
    lines = itertools.count(1)

    def visit(v: CurationVerdict) -> None:
        number = next(lines)
        check_log_line(v, manifest.path, number, automatic=automatic)
        sink.add((v.candidate_id, v.decision, micros(v.decided_at), v.reviewer))
        if people:
            lines_of.add((v.candidate_id, v.reviewer, v.role, number, v.model_dump_json()))

    table = "f_auto_verdicts" if automatic else "f_verdicts"
    file: RecordFile[str, CurationVerdict] = RecordFile(db, table, manifest,
                                                       lambda v: v.candidate_id, visit=visit)
    sink.flush()
    lines_of.flush()
    return file
