"""The Fitzpatrick 17k catalogue: the bundled CSV, verified by sha256 and validated row by row."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

import pydantic

from .._text import decode_utf8
from ..errors import InputError, IntegrityError, RecordError
from ..schemas import SourceImage
from ..store import format_validation_error

__all__ = [
    "BUNDLED_CSV_SHA256",
    "COLUMNS",
    "DATASET",
    "LICENSE",
    "Catalog",
    "bundled_csv_path",
    "load_catalog",
    "parse_catalog",
]

DATASET: Final = "fitzpatrick17k"
LICENSE: Final = "CC BY-NC-SA 3.0"
BUNDLED_CSV_SHA256: Final = "851dfaabf1791c2a8b1c2957619f3e0673cf0002f4ce924a5c02d185c7d4a1cd"
COLUMNS: Final = (
    "md5hash",
    "fitzpatrick_scale",
    "fitzpatrick_centaur",
    "label",
    "nine_partition_label",
    "three_partition_label",
    "qc",
    "url",
    "url_alphanum",
)
_FST_VALUES: Final = {"-1", "1", "2", "3", "4", "5", "6"}
_MAX_LISTED: Final = 20


def bundled_csv_path() -> Path:
    return Path(str(resources.files("dermforge.sources") / "data" / "fitzpatrick17k.csv"))


@dataclass(frozen=True)
class Catalog:
    """The validated rows of a source CSV, in file order, indexed by source id."""

    origin: str
    sha256: str
    rows: tuple[SourceImage, ...]
    by_id: Mapping[str, SourceImage] = field(repr=False)

    def __iter__(self) -> Iterator[SourceImage]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, source_id: object) -> bool:
        return source_id in self.by_id

    def labels(self) -> list[str]:
        return sorted({row.label for row in self.rows})

    def with_label(self, labels: Iterable[str]) -> list[SourceImage]:
        wanted = set(labels)
        return [row for row in self.rows if row.label in wanted]


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate a Fitzpatrick 17k CSV (default: the bundled copy, sha256-checked)."""
    bundled = path is None
    csv_path = bundled_csv_path() if path is None else path
    try:
        data = csv_path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"source CSV {str(csv_path)!r} does not exist",
            fix="pass the path of a Fitzpatrick 17k CSV, or omit it to use the bundled copy",
        ) from None
    except IsADirectoryError:
        raise InputError(f"source CSV {str(csv_path)!r} is a folder, not a file",
                         fix="pass the CSV file itself to --csv") from None
    digest = hashlib.sha256(data).hexdigest()
    if bundled and digest != BUNDLED_CSV_SHA256:
        raise IntegrityError(
            f"the bundled Fitzpatrick 17k CSV {csv_path} has sha256 {digest}, "
            f"expected {BUNDLED_CSV_SHA256}: the installed copy was modified",
            fix="reinstall dermforge (pip install --force-reinstall dermforge)",
        )
    text = decode_utf8(data, str(csv_path), "source CSV")
    return parse_catalog(text, origin=str(csv_path), sha256=digest)


def parse_catalog(text: str, *, origin: str, sha256: str = "") -> Catalog:
    """Validate CSV text; every problem names the CSV line and column."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _check_header(reader.fieldnames, origin)
    rows: list[SourceImage] = []
    problems: list[RecordError] = []
    first_line: dict[str, int] = {}
    line_end = 1
    for raw in reader:
        line = line_end + 1
        line_end = reader.line_num
        try:
            row = _row_to_record(raw, line, origin)
        except RecordError as err:
            problems.append(err)
            continue
        if row.source_id in first_line:
            problems.append(
                RecordError(
                    path=origin,
                    line=line,
                    field="md5hash",
                    reason=f"duplicate id {row.source_id!r}, first seen on line "
                    f"{first_line[row.source_id]}",
                    fix="remove one of the two rows",
                )
            )
            continue
        first_line[row.source_id] = line
        rows.append(row)
    _raise_problems(problems, origin)
    by_id = {r.source_id: r for r in rows}
    return Catalog(origin=origin, sha256=sha256, rows=tuple(rows), by_id=by_id)


def _check_header(fieldnames: Iterable[str] | None, origin: str) -> None:
    found = list(fieldnames or [])
    missing = [c for c in COLUMNS if c not in found]
    extra = [c for c in found if c not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unexpected column(s) {extra}")
        raise RecordError(
            path=origin,
            line=1,
            field=None,
            reason="; ".join(parts) + f" in the header {found}",
            fix=f"the header must be exactly: {','.join(COLUMNS)}",
        )


def _fst(value: str, column: str, line: int, origin: str) -> int | None:
    if value not in _FST_VALUES:
        raise RecordError(
            path=origin,
            line=line,
            field=column,
            reason=f"Fitzpatrick skin type must be one of -1 (unknown), 1..6; got {value!r}",
            fix=f"correct the {column} value on that line",
        )
    number = int(value)
    return None if number == -1 else number


def _row_to_record(raw: dict[str, str | None], line: int, origin: str) -> SourceImage:
    if None in raw or any(v is None for v in raw.values()):
        raise RecordError(
            path=origin, line=line, field=None,
            reason=f"expected {len(COLUMNS)} fields, the row has a different number",
            fix="check the row for a stray or missing comma",
        )
    values = {k: (v or "") for k, v in raw.items() if k is not None}
    fields = {
        "dataset": DATASET,
        "source_id": values["md5hash"],
        "md5": values["md5hash"],
        "label": values["label"],
        "fitzpatrick": _fst(values["fitzpatrick_scale"], "fitzpatrick_scale", line, origin),
        "fitzpatrick_centaur": _fst(
            values["fitzpatrick_centaur"], "fitzpatrick_centaur", line, origin
        ),
        "nine_partition_label": values["nine_partition_label"],
        "three_partition_label": values["three_partition_label"],
        "qc": values["qc"] or None,
        "url": values["url"] or None,
        "license": LICENSE,
        "csv_line": line,
    }
    try:
        return SourceImage(**fields)  # type: ignore[arg-type]
    except pydantic.ValidationError as exc:
        field_name, reason = format_validation_error(exc)
        column = {"source_id": "md5hash", "md5": "md5hash"}.get(field_name or "", field_name)
        raise RecordError(
            path=origin, line=line, field=column, reason=reason,
            fix=f"correct the {column} value on that line",
        ) from None


def _raise_problems(problems: list[RecordError], origin: str) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise problems[0]
    listed = "\n".join(f"  - {p.message}" for p in problems[:_MAX_LISTED])
    more = len(problems) - _MAX_LISTED
    tail = f"\n  … and {more} more" if more > 0 else ""
    raise InputError(
        f"{len(problems)} invalid rows in {origin}:\n{listed}{tail}",
        fix="correct the rows listed (line numbers count the header as line 1)",
    )
