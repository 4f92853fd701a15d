"""The scan's validated values, kept as arrow columns: one IPC file per manifest, row = line.

The scan validates every line of a manifest once. What a release row takes from that record
is put, right there, into the arrow types of the release's columns (:data:`SPECS`: one
column spec per manifest, each value as :func:`~dermforge.builder._rows.release_row` and
``to_arrow`` give it) and appended to ``<table>.arrow`` beside the build's SQLite file, row
*i* holding line *i* of the file. A chunk of release rows is then assembled with ``take`` by
the line numbers SQLite joins for it (:mod:`._render`): no record is parsed a second time and
no row is a Python dict. The files are memory-mapped where they are read (pages of the page
cache, shared by the forked workers).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pyarrow as pa

from .._atomic import storage_errors
from ..schemas import (
    Candidate,
    CandidateSignals,
    Crop,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    Record,
    Seed,
    SourceImage,
    canonical_json,
    fst_group,
)
from ._features import release_features, seed_features

__all__ = ["BATCH_ROWS", "SPECS", "ColumnSink", "ColumnSpec", "column_path", "read_columns"]

R = TypeVar("R", bound=Record)
#: lines per record batch of a column file
BATCH_ROWS = 4096
_GENERATOR = "generator_metadata"


def _types() -> dict[str, pa.DataType]:
    """Every release and seeds column's arrow type, by name (the same name, the same type)."""
    out = {f.name: f.type for f in release_features([]).arrow_schema}
    out.update({f.name: f.type for f in seed_features([]).arrow_schema})
    return out


@dataclass(frozen=True)
class ColumnSpec(Generic[R]):
    """The columns a manifest's records give (name, arrow type) and the function giving a
    record's values, in that order."""

    fields: tuple[tuple[str, pa.DataType], ...]
    values: Callable[[R], tuple[Any, ...]]

    @functools.cached_property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(name, kind) for name, kind in self.fields])


def _spec(names: str, values: Callable[[R], tuple[Any, ...]],
          **own: pa.DataType) -> ColumnSpec[R]:
    """Columns named as the release's (their types) or given here (``own``)."""
    types = _TYPES
    return ColumnSpec(tuple((n, own[n] if n in own else types[n]) for n in names.split()),
                      values)


def _candidate(c: Candidate) -> tuple[Any, ...]:
    metadata, generator = c.metadata, c.metadata.get(_GENERATOR)
    if _GENERATOR in metadata:
        metadata = {k: v for k, v in metadata.items() if k != _GENERATOR}
    return (c.candidate_id, c.sha256, c.backend, c.model, c.index, c.width, c.height, c.format,
            c.created, canonical_json(metadata), c.cost_usd,
            canonical_json(generator) if isinstance(generator, dict) else "null")


def _request(r: GenerationRequest) -> tuple[Any, ...]:
    """(text-to-image: the condition and skin type the request states, which its rows take;
    the record's validator makes sure both are there)"""
    stated = r.fitzpatrick if r.text_to_image else None
    return (r.request_id, r.prompt, r.operation, r.size, r.quality,
            canonical_json(r.parameters), r.condition if stated else None, stated,
            fst_group(stated) if stated else None)


def _verdict(v: CurationVerdict) -> tuple[Any, ...]:
    return (v.decision, list(v.reason_codes), v.photorealism, v.consistency, v.reviewer,
            v.decided_at, v.note, v.reviewer_qualification, v.role)


def _signals(s: CandidateSignals) -> tuple[Any, ...]:
    return (s.ita, s.ita_group, s.seed_ita, s.seed_distance, s.nearest_test_id,
            s.nearest_test_distance, s.sharpness, s.seed_sharpness, list(s.flags),
            s.candidate_sha256)


_TYPES = _types()
_STR = pa.string()
#: offsets table → what its records give a row (see the module doc)
SPECS: dict[str, ColumnSpec[Any]] = {
    "f_candidates": _spec(
        "image_id image_sha256 backend model candidate_index image_width image_height "
        "image_format generated_at generation_metadata cost_usd generator_metadata",
        _candidate),
    "f_requests": _spec(
        "request_id prompt operation request_size request_quality request_parameters "
        "t2i_condition t2i_fitzpatrick t2i_group", _request,
        t2i_condition=_STR, t2i_fitzpatrick=pa.int8(), t2i_group=_STR),
    "f_seeds": _spec(
        "seed_id seed_condition seed_group fitzpatrick rank sampling",
        lambda s: (s.source_id, s.condition, s.group, s.fitzpatrick, s.rank,
                   s.sampling.model_dump()),
        seed_condition=_STR, seed_group=_STR),
    "f_sources": _spec(
        "source_sha256 source_dataset source_url source_license",
        lambda s: (s.sha256, s.dataset, s.url, s.license)),
    "f_crops": _spec(
        "crop_sha256 crop_box crop_method crop_output_size crop_params",
        lambda c: (c.sha256, c.box.model_dump(), c.method, c.output_size,
                   canonical_json(c.params))),
    "f_masks": _spec(
        "mask_sha256 mask_method mask_editable mask_editable_fraction mask_params",
        lambda m: (m.sha256, m.method, m.editable, m.editable_fraction,
                   canonical_json(m.params))),
    "f_prompts": _spec("prompt_slots prompt_template_version",
                       lambda p: (p.slots.model_dump(), p.template_version)),
    "f_verdicts": _spec(
        "verdict reason_codes photorealism consistency reviewer decided_at verdict_note "
        "reviewer_qualification role", _verdict, role=_STR),
    "f_signals": _spec(
        "signal_ita signal_ita_group signal_seed_ita signal_seed_distance "
        "signal_nearest_test_id signal_nearest_test_distance signal_sharpness "
        "signal_seed_sharpness signal_flags candidate_sha256", _signals,
        candidate_sha256=_STR),
}
SPECS["f_auto_verdicts"] = SPECS["f_verdicts"]
#: the record type each spec reads (a test checks every field it names exists)
MODELS: dict[str, type[Record]] = {
    "f_candidates": Candidate, "f_requests": GenerationRequest, "f_seeds": Seed,
    "f_sources": SourceImage, "f_crops": Crop, "f_masks": Mask, "f_prompts": Prompt,
    "f_verdicts": CurationVerdict, "f_auto_verdicts": CurationVerdict,
    "f_signals": CandidateSignals}


def column_path(folder: Path, table: str) -> Path:
    return folder / f"{table}.arrow"


#: what pyarrow raises for a value its column type cannot hold (e.g. an int over int32)
_UNFIT = (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError)


class ColumnSink:
    """Appends one row of values per scanned line to ``path`` (an arrow IPC file), in
    batches of :data:`BATCH_ROWS`; :meth:`close` finishes the file as one batch.

    A value the record's schema allows but the release column cannot hold (an int over
    int32, say) is stored as null and listed in :attr:`unfit` (line, field, the value):
    every line is converted, but only the lines a release row uses may fail the build
    (``_assemble.check_fit``), as when rows were made record by record."""

    def __init__(self, path: Path, spec: ColumnSpec[Any]) -> None:
        self.path, self.spec = path, spec
        self.unfit: list[tuple[int, str, str]] = []
        self._rows: list[tuple[Any, ...]] = []
        self._lines = 0
        with storage_errors(path):
            self._writer = pa.ipc.new_file(str(path), spec.schema)

    def add(self, record: Record) -> None:
        self._rows.append(self.spec.values(record))
        if len(self._rows) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        columns = zip(*self._rows, strict=True)
        batch = pa.record_batch([self._array(values, name, kind) for values, (name, kind)
                                 in zip(columns, self.spec.fields, strict=True)],
                                schema=self.spec.schema)
        with storage_errors(self.path):
            self._writer.write_batch(batch)
        self._lines += len(self._rows)
        self._rows.clear()

    def _array(self, values: tuple[Any, ...], name: str, kind: pa.DataType) -> pa.Array:
        try:
            return pa.array(values, kind)
        except _UNFIT:  # find the values that do not fit, value by value
            fitting = []
            for i, value in enumerate(values):
                try:
                    pa.array([value], kind)
                except _UNFIT:
                    self.unfit.append((self._lines + i, name, repr(value)[:80]))
                    value = None
                fitting.append(value)
            return pa.array(fitting, kind)

    def abort(self) -> None:
        """Stop without writing what is pending (the scan failed: its error stands)."""
        with contextlib.suppress(OSError, pa.ArrowException):
            self._writer.close()

    def close(self) -> None:
        """Finish the file, as one record batch: ``take`` from a table of several chunks
        concatenates them first, on every call (a chunk of rows would cost as much as the
        whole file), while one memory-mapped batch is taken from in place. The batches
        are joined here once (memory: the file's size, for that moment), not per chunk."""
        self._flush()
        with storage_errors(self.path):
            self._writer.close()
            self._join()

    def _join(self) -> None:
        with pa.memory_map(str(self.path)) as source:
            table = pa.ipc.open_file(source).read_all()
            if table.column(0).num_chunks <= 1:
                return
            joined = table.combine_chunks()
        del table
        partial = self.path.with_suffix(".partial")
        with pa.ipc.new_file(str(partial), self.spec.schema) as writer:
            writer.write_table(joined)
        del joined
        partial.replace(self.path)


def read_columns(path: Path, spec: ColumnSpec[Any]) -> pa.Table:
    """A column file, memory-mapped (no file: no rows, as for a missing manifest)."""
    if not path.exists():
        return spec.schema.empty_table()
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()
