"""Count tables of a catalogue: the paper's Table 1, and present/missing coverage."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from .._paper import PAPER_CONDITIONS
from ..schemas import SourceImage

__all__ = ["ROMAN", "CountTable", "coverage_table", "table1"]

ROMAN = ("I", "II", "III", "IV", "V", "VI")


@dataclass(frozen=True)
class CountTable:
    """A table of integers with row and column labels, printable as Markdown, CSV or JSON."""

    title: str
    corner: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[int | str, ...]], ...]

    def cell(self, row: str, column: str) -> int | str:
        values = dict(self.rows)[row]
        return values[self.columns.index(column)]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.corner, *self.columns])
        for label, values in self.rows:
            writer.writerow([label, *values])
        return out.getvalue()

    def to_markdown(self) -> str:
        header = f"| {self.corner} | " + " | ".join(self.columns) + " |"
        rule = "|---|" + "---:|" * len(self.columns)
        body = [
            f"| {label} | " + " | ".join(_fmt(v) for v in values) + " |"
            for label, values in self.rows
        ]
        return "\n".join([f"**{self.title}**", "", header, rule, *body]) + "\n"

    def to_json(self) -> str:
        payload = {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [{self.corner: label, **dict(zip(self.columns, values, strict=True))}
                     for label, values in self.rows],
        }
        return json.dumps(payload, indent=2) + "\n"

    def render(self, fmt: str) -> str:
        return {"csv": self.to_csv, "md": self.to_markdown, "json": self.to_json}[fmt]()


def _fmt(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else value


def table1(rows: Iterable[SourceImage], conditions: Sequence[str] = PAPER_CONDITIONS) -> CountTable:
    """Sagers et al. Table 1: images by skin type (I..VI, unknown excluded) and condition."""
    counts = Counter(
        (row.label, row.fitzpatrick)
        for row in rows
        if row.label in conditions and row.fitzpatrick is not None
    )
    body: list[tuple[str, tuple[int | str, ...]]] = []
    for fst, roman in enumerate(ROMAN, start=1):
        values = [counts[(c, fst)] for c in conditions]
        body.append((roman, (*values, sum(values))))
    totals = [sum(counts[(c, fst)] for fst in range(1, 7)) for c in conditions]
    body.append(("Total", (*totals, sum(totals))))
    return CountTable(
        title="Table 1: sample sizes by Fitzpatrick skin type",
        corner="FST",
        columns=(*(c.title() for c in conditions), "Total"),
        rows=tuple(body),
    )


def coverage_table(
    catalog_rows: Iterable[SourceImage],
    present: Collection[str],
    conditions: Sequence[str],
) -> CountTable:
    """Per condition and skin type: 'present/total' images in the workspace."""
    totals: Counter[tuple[str, int | None]] = Counter()
    have: Counter[tuple[str, int | None]] = Counter()
    for row in catalog_rows:
        if row.label in conditions:
            totals[(row.label, row.fitzpatrick)] += 1
            have[(row.label, row.fitzpatrick)] += row.source_id in present
    keys: list[int | None] = [1, 2, 3, 4, 5, 6, None]
    body = []
    for condition in conditions:
        cells = [f"{have[(condition, k)]}/{totals[(condition, k)]}" for k in keys]
        n_have = sum(have[(condition, k)] for k in keys)
        n_all = sum(totals[(condition, k)] for k in keys)
        body.append((condition, (*cells, f"{n_have}/{n_all}")))
    return CountTable(
        title="Coverage: images present in the workspace / images in the CSV",
        corner="condition",
        columns=(*ROMAN, "unknown", "total"),
        rows=tuple(body),
    )
