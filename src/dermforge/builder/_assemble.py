"""A chunk of release rows, assembled column-wise from the scan's column files.

SQLite joins each row's line in every manifest it descends from (:data:`CANDIDATE_LINES`,
:data:`SEED_LINES`); the columns are ``take``\\ n from the memory-mapped column files
(:mod:`._columns`) by those lines. A row whose lineage is incomplete (a record missing, a
text-to-image request for a seeded candidate, a request with no mask, an edit whose prompt
is not recorded) is handed to :func:`~dermforge.builder._rows.lineage` and
:func:`~dermforge.builder._rows.release_row`, which name what is missing and the fix.
The values equal those of the validated ``ReleaseRow`` and ``SeedRow``
(``tests/release/test_rows.py``); ``verify`` validates every released row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..cards import ReleaseFacts
from ..errors import ReleaseError
from ._index import WorkspaceIndex
from ._rows import RowFacts, Vote, counted_verdicts, lineage, release_row

__all__ = [
    "CANDIDATE_LINES",
    "REQUEST_LINES",
    "SEED_LINES",
    "LineRow",
    "Tables",
    "assemble",
    "candidate_columns",
    "candidate_lines",
    "complete",
    "facts_of",
    "label",
    "raise_incomplete",
    "seed_columns",
    "seed_facts",
    "take_lines",
    "verdict_columns",
]

#: a chunk's rows: the line of each record they take values from (NULL: none); char(31)
#: joins the parts of a key (``_index.KEY_SEP``); {marks}: one ``?`` per key
CANDIDATE_LINES = """
SELECT c.cid, c.seedless, fc.ln, c.request, c.seed, fh.ln, fa.ln, fg.ln, p.added, ps.added
FROM cands c JOIN f_candidates fc ON fc.k = c.cid
LEFT JOIN f_verdicts fh ON fh.k = c.cid LEFT JOIN f_auto_verdicts fa ON fa.k = c.cid
LEFT JOIN f_signals fg ON fg.k = c.cid
LEFT JOIN prev p ON p.cid = c.cid LEFT JOIN prev_syn ps ON ps.cid = c.cid
WHERE c.cid IN ({marks})
"""
#: the records a (request, seed) pair of a chunk's candidates descends from ({marks}: one
#: ``(?, ?, ?)`` per pair: request, seed key, whether the candidate has no seed)
REQUEST_LINES = """
WITH k(request, seed, seedless) AS (VALUES {marks})
SELECT k.request, k.seed, fr.ln, r.t2i, r.edit, r.mask, fs.ln, fo.ln, fcr.ln, fm.ln, fp.ln
FROM k LEFT JOIN f_requests fr ON fr.k = k.request LEFT JOIN reqs r ON r.rid = k.request
LEFT JOIN f_seeds fs ON fs.k = k.seed AND NOT k.seedless
LEFT JOIN f_sources fo ON fo.k = k.seed AND NOT k.seedless
LEFT JOIN f_crops fcr ON fcr.k = k.seed || char(31) || r.img AND NOT k.seedless
LEFT JOIN f_masks fm ON fm.k = k.seed || char(31) || r.img || char(31) || r.mask
    AND NOT k.seedless
LEFT JOIN f_prompts fp ON fp.k = k.seed || char(31) || r.prompt AND NOT k.seedless
"""
SEED_LINES = """
SELECT k.k, fs.ln, fo.ln, fcr.ln, fm.ln, ps.added FROM seedkeys k
LEFT JOIN f_seeds fs ON fs.k = k.seed LEFT JOIN f_sources fo ON fo.k = k.seed
LEFT JOIN f_crops fcr ON fcr.k = k.seed || char(31) || k.crop
LEFT JOIN f_masks fm ON fm.k = k.k LEFT JOIN prev_seeds ps ON ps.k = k.k
WHERE k.k IN ({marks})
"""
#: a candidate's lines: (cid, seedless, candidate, request, t2i, edit, mask sha256, seed,
#: source, crop, mask, prompt, human verdict, automatic verdict, signals, release_added of
#: the previous release, its synthetic release_added): see :func:`candidate_lines`
LineRow = tuple[Any, ...]
Tables = dict[str, pa.Table]
_VOTE = ("reviewer", "reviewer_qualification", "role", "decision", "decided_at")


def lines_of(conn: Any, sql: str, keys: list[str]) -> list[LineRow]:
    """``sql``'s rows for ``keys`` (its first column; ``{marks}``: one ``?`` per key), in
    the order of ``keys``."""
    found = {row[0]: row for row in conn.execute(sql.format(marks=",".join("?" * len(keys))),
                                                  keys)}
    return [found[k] for k in keys]


def candidate_lines(conn: Any, cids: list[str]) -> list[LineRow]:
    """The chunk's rows' lines, in the order of ``cids``: a candidate's own records by
    candidate, the records of its lineage once per (request, seed) of the chunk."""
    ordered = lines_of(conn, CANDIDATE_LINES, cids)
    pairs = list(dict.fromkeys((row[3], row[4], row[1]) for row in ordered))
    found = {(row[0], row[1]): row[2:] for row in conn.execute(
        REQUEST_LINES.format(marks=",".join(["(?, ?, ?)"] * len(pairs))),
        [value for pair in pairs for value in pair])}
    return [(cid, seedless, at, *found[(request, seed)], human, auto, signals, added,
             synthetic)
            for cid, seedless, at, request, seed, human, auto, signals, added, synthetic
            in ordered]


def complete(row: LineRow) -> bool:
    """Whether every record the row's lineage needs is there (else release_row names it)."""
    _, seedless, _, request, t2i, edit, mask, seed, source, crop, mask_line, prompt = row[:12]
    if request is None or bool(t2i) != bool(seedless):
        return False
    if seedless:
        return True
    return None not in (seed, source, crop, mask, mask_line) and (prompt is not None
                                                                   or not edit)


def raise_incomplete(index: WorkspaceIndex, cid: str, version: str) -> None:
    """Raise the error that names what the candidate's lineage lacks."""
    candidate = index.candidates.get(cid)
    if candidate is not None:  # every id of table cands comes from candidates.jsonl
        release_row(index, lineage(index, candidate), version)
    raise RuntimeError(f"candidate {cid}: its lineage was found incomplete, then complete")


def take_lines(table: pa.Table, lines: Sequence[int | None]) -> dict[str, pa.Array]:
    taken = table.take(pa.array(lines, pa.int64()))
    return {name: taken.column(name).combine_chunks() for name in taken.column_names}


def _no_null_lists(array: pa.Array) -> pa.Array:
    """A list column with its nulls as empty lists (a row without the record: ``()``)."""
    return pa.ListArray.from_arrays(array.offsets, array.values, type=array.type)


def label(values: pa.Array, names: list[str]) -> pa.Array:
    """Class-label strings → their index (as ``ClassLabel.str2int``)."""
    return pc.index_in(values, value_set=pa.array(names, pa.string())).cast(pa.int64())


@dataclass
class Lines:
    """A candidate chunk's line numbers, per manifest, in row order."""

    rows: list[LineRow]

    def of(self, position: int) -> list[int | None]:
        return [row[position] for row in self.rows]


def candidate_columns(tables: Tables, rows: list[LineRow]) -> dict[str, pa.Array]:
    """Every column but the image, the verdict's, ``release_added`` and ``curation_rule``:
    the candidate's, its request's, seed's, source's, crop's, mask's, prompt's and
    (measured on these bytes) signals'."""
    lines = Lines(rows)
    cols = take_lines(tables["f_candidates"], lines.of(2))
    cols["generated_sha256"] = cols["image_sha256"]
    for name, at in (("f_requests", 3), ("f_seeds", 7), ("f_sources", 8), ("f_crops", 9),
                     ("f_masks", 10), ("f_prompts", 11)):
        cols.update(take_lines(tables[name], lines.of(at)))
    signals = tables["f_signals"]
    at = pa.array(lines.of(14), pa.int64())
    same = pc.equal(signals.column("candidate_sha256").take(at), cols["image_sha256"])
    measured = pc.if_else(pc.fill_null(same, False), at, None).to_pylist()
    cols.update(take_lines(signals, measured))
    cols["signals_used"] = pa.array(measured, pa.int64())  # the lines read (check_fit)
    cols["signal_flags"] = _no_null_lists(cols["signal_flags"])
    for own, stated in (("seed_condition", "t2i_condition"), ("seed_group", "t2i_group"),
                        ("fitzpatrick", "t2i_fitzpatrick")):
        cols[own] = pc.coalesce(cols[own], cols.pop(stated))
    return cols


#: (offsets table, line) → (field, value) of the values a column file could not hold
Unfit = dict[tuple[str, int], tuple[str, str]]


def check_fit(unfit: Unfit, used: Sequence[tuple[str, Sequence[int | None]]],
              where: Callable[[str], Path]) -> None:
    """Raise for the first row, in order, that takes a value from a line whose value its
    release column cannot hold (``used``: per table, each row's line)."""
    if not unfit:
        return
    for i in range(len(used[0][1]) if used else 0):
        for table, lines in used:
            line = lines[i]
            found = unfit.get((table, line)) if line is not None else None
            if line is not None and found is not None:
                field, value = found
                raise ReleaseError(
                    f"{where(table)} line {line + 1}: field {field!r} is "
                    f"{value}, more than the release's column of that name holds",
                    fix="correct the record (or re-run the stage that wrote it), then build "
                        "again")


def seed_columns(tables: Tables, rows: list[LineRow]) -> dict[str, pa.Array]:
    """A seeds chunk's columns but the images and ``release_added`` (rows of SEED_LINES)."""
    cols: dict[str, pa.Array] = {}
    for name, at in (("f_seeds", 1), ("f_sources", 2), ("f_crops", 3), ("f_masks", 4)):
        cols.update(take_lines(tables[name], [row[at] for row in rows]))
    return cols


def verdict_columns(index: WorkspaceIndex, tables: Tables, rows: list[LineRow]
                    ) -> tuple[dict[str, pa.Array], list[tuple[Vote, ...]]]:
    """The columns of the verdict that counts and of every verdict the rule weighed, and
    each row's weighed verdicts (for the card). Under the rule single that is the last human
    line, else the last automatic one, taken by line; under the others, each row's final
    decision from the index (several people's lines)."""
    weighed: list[tuple[Vote, ...]]
    if index.rule == "single":
        # the human line, else the automatic one (two tables: ``take`` from one table of
        # both would concatenate them on every call)
        human = take_lines(tables["f_verdicts"], [row[12] for row in rows])
        auto = take_lines(tables["f_auto_verdicts"],
                          [row[13] if row[12] is None else None for row in rows])
        by_person = pc.is_valid(human["verdict"])
        cols = {name: pc.if_else(by_person, human[name], auto[name]) for name in human}
        has = pc.is_valid(cols["verdict"])
        votes = pa.StructArray.from_arrays(
            [cols["verdict" if n == "decision" else n] for n in _VOTE], names=list(_VOTE))
        counts = pc.cast(has, pa.int32()).to_pylist()
        offsets = pa.array([0, *_cumulative(counts)], pa.int32())
        cols["verdicts"] = pa.ListArray.from_arrays(offsets, votes.filter(has))
        weighed = [(Vote(*v),) if v[0] is not None else ()
                   for v in zip(*(c.to_pylist() for c in votes.flatten()), strict=True)]
    else:
        found = [counted_verdicts(index, row[0]) for row in rows]
        weighed = [tuple(Vote(*(getattr(v, n) for n in _VOTE))
                                                 for v in w) for _, w in found]
        cols = _verdicts_of([v for v, _ in found], weighed)
    cols["reason_codes"] = _no_null_lists(cols["reason_codes"])
    cols["verdict_note"] = pc.fill_null(cols["verdict_note"], "")
    return cols, weighed


def _cumulative(counts: list[int]) -> list[int]:
    total, out = 0, []
    for n in counts:
        total += n
        out.append(total)
    return out


def _verdicts_of(chosen: list[Any], weighed: list[tuple[Vote, ...]]) -> dict[str, pa.Array]:
    def column(get: Any) -> list[Any]:
        return [get(v) if v is not None else None for v in chosen]

    return {
        "verdict": pa.array(column(lambda v: v.decision), pa.string()),
        "reason_codes": pa.array(column(lambda v: list(v.reason_codes)), pa.list_(pa.string())),
        "photorealism": pa.array(column(lambda v: v.photorealism), pa.int8()),
        "consistency": pa.array(column(lambda v: v.consistency), pa.int8()),
        "reviewer": pa.array(column(lambda v: v.reviewer), pa.string()),
        "decided_at": pa.array(column(lambda v: v.decided_at), pa.timestamp("us", tz="UTC")),
        "verdict_note": pa.array(column(lambda v: v.note), pa.string()),
        "reviewer_qualification": pa.array(column(lambda v: v.reviewer_qualification),
                                           pa.string()),
        "verdicts": pa.array([[v._asdict() for v in w] for w in weighed],
                             pa.list_(pa.struct([
                                 ("reviewer", pa.string()),
                                 ("reviewer_qualification", pa.string()),
                                 ("role", pa.string()), ("decision", pa.string()),
                                 ("decided_at", pa.timestamp("us", tz="UTC"))]))),
    }


def assemble(schema: pa.Schema, cols: dict[str, pa.Array]) -> pa.RecordBatch:
    """The batch of ``schema``'s columns, each already of its type (``from_arrays`` checks)."""
    return pa.RecordBatch.from_arrays([cols[field.name] for field in schema], schema=schema)


def facts_of(facts: ReleaseFacts, cols: dict[str, pa.Array], weighed: list[tuple[Vote, ...]],
             rule: str) -> None:
    """Add each row to the card's counts (``cols``: condition and group still as text)."""
    names = ("image_id", "seed_condition", "seed_group", "fitzpatrick", "seed_id", "backend",
             "model", "prompt_template_version", "generation_metadata", "generator_metadata",
             "verdict", "reviewer", "reviewer_qualification")
    values = zip(*(cols[n].to_pylist() for n in names), weighed, strict=True)
    for (cid, condition, group, fitzpatrick, seed, backend, model, template, metadata,
         generator, verdict, reviewer, qualification, votes) in values:
        facts.add_row(RowFacts(cid, condition, group, fitzpatrick, seed, backend, model,
                               template, JsonObject(metadata),
                               None if generator == "null" else JsonObject(generator),
                               verdict, reviewer, qualification, rule, votes))


class JsonObject(Mapping[str, Any]):
    """A JSON object's canonical text, parsed when first read: the card's counts look up a
    key or two of every row's metadata (``weights``, ``read_from``), and a key whose quoted
    name is not in the text is not there (canonical JSON writes an ASCII name as it is)."""

    __slots__ = ("_value", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._value: dict[str, Any] | None = None

    def _parsed(self) -> dict[str, Any]:
        if self._value is None:
            self._value = json.loads(self.text)
        return self._value

    def get(self, key: str, default: Any = None) -> Any:
        if key.isascii() and key.isidentifier() and f'"{key}"' not in self.text:
            return default
        return self._parsed().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())


def seed_facts(facts: ReleaseFacts, cols: dict[str, pa.Array]) -> None:
    names = ("seed_condition", "seed_group", "crop_method", "mask_method", "source_url",
             "sampling")
    for condition, group, crop, mask, url, sampling in zip(
            *(cols[n].to_pylist() for n in names), strict=True):
        facts.add_seed_values(condition, group, crop, mask, url, (
            sampling["method"], sampling["rng_seed"], sampling["n_per_group"]))
