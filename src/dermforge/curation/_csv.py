"""CSV round trip so reviewers can work in a spreadsheet: one row per candidate.

Export writes the current (latest) verdict of every candidate; import appends a verdict for
every row whose decision columns differ from the current one. Blank decisions are skipped.
Import is all-or-nothing: any bad row (unknown candidate id, bad decision or score, missing
reviewer, a seed over the keep-per-seed rule) stops it with every problem listed by row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pydantic

from .._atomic import atomic_write_text
from ..errors import InputError
from ..schemas import Candidate, CurationVerdict, Seed
from ..store import Workspace, format_validation_error
from ._auto import generation_order
from ._log import VerdictLog

__all__ = ["CSV_COLUMNS", "CsvImport", "export_csv", "import_csv", "parse_verdict_csv"]

CSV_COLUMNS: tuple[str, ...] = (
    "candidate_id", "seed_id", "condition", "fst_group", "image_path",
    "decision", "reason_codes", "photorealism", "consistency", "reviewer", "decided_at", "note",
)
_REQUIRED = ("candidate_id", "decision")
_DECISIONS = ("accept", "reject", "undecided")
_SHOWN = 20


def export_csv(workspace: Workspace, path: Path, log: VerdictLog | None = None) -> int:
    """Write one row per candidate (seed, then generation order); return the row count."""
    log = log or VerdictLog(workspace)
    latest = log.latest()
    seeds = {s.source_id: s for s in workspace.manifest(Seed)}
    candidates = sorted(log.candidates().values(),
                        key=lambda c: (c.source_id, *generation_order(c)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for candidate in candidates:
        writer.writerow(_export_row(workspace, candidate, seeds.get(candidate.source_id),
                                    latest.get(candidate.candidate_id)))
    atomic_write_text(path, buffer.getvalue())
    return len(candidates)


def _export_row(workspace: Workspace, candidate: Candidate, seed: Seed | None,
                verdict: CurationVerdict | None) -> list[str]:
    base = [candidate.candidate_id, candidate.source_id, seed.condition if seed else "",
            seed.group if seed else "",
            str(workspace.blobs.find(candidate.sha256) or "(missing from the store)")]
    if verdict is None:
        return [*base, "", "", "", "", "", "", ""]
    return [*base, verdict.decision, ";".join(verdict.reason_codes),
            _opt(verdict.photorealism), _opt(verdict.consistency), verdict.reviewer,
            verdict.decided_at.isoformat(), verdict.note]


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


@dataclass
class CsvImport:
    """What an import read: new verdicts (with their row labels), unchanged and blank rows."""

    verdicts: list[CurationVerdict] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    unchanged: int = 0
    blank: int = 0
    written: int = 0


def parse_verdict_csv(
    text: str,
    origin: str,
    *,
    candidates: Mapping[str, Candidate],
    latest: Mapping[str, CurationVerdict],
    default_reviewer: str | None,
    now: datetime,
) -> CsvImport:
    """Parse and check every row; raise InputError naming each bad row."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{origin}: the header lacks the column(s) {missing} "
                         f"(got {reader.fieldnames})",
                         fix="start from `dermforge curate export` and keep its header row")
    result = CsvImport()
    problems: list[str] = []
    first_row: dict[str, int] = {}
    for raw in reader:
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        where = f"{origin} row {reader.line_num}"
        if not row.get("decision"):
            result.blank += 1
            continue
        try:
            verdict = _verdict(row, candidates, default_reviewer, now)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        cid = verdict.candidate_id
        if cid in first_row:
            problems.append(f"{where}: candidate {cid!r} already has a decision on row "
                            f"{first_row[cid]}; give each candidate one row")
            continue
        first_row[cid] = reader.line_num
        if _same_decision(verdict, latest.get(cid), row.get("decided_at", "")):
            result.unchanged += 1
            continue
        result.verdicts.append(verdict)
        result.labels.append(where)
    if problems:
        shown = problems[:_SHOWN] + ([f"… and {len(problems) - _SHOWN} more"]
                                     if len(problems) > _SHOWN else [])
        raise InputError(f"{len(problems)} bad row(s); nothing was imported:\n  "
                         + "\n  ".join(shown),
                         fix="correct those rows (decision: accept, reject or undecided; "
                         "scores 1-5 or blank; a reviewer per row or --reviewer) and re-import")
    return result


def _verdict(row: dict[str, str], candidates: Mapping[str, Candidate],
             default_reviewer: str | None, now: datetime) -> CurationVerdict:
    cid = row["candidate_id"]
    if cid not in candidates:
        raise ValueError(f"unknown candidate_id {cid!r} (not in records/candidates.jsonl)")
    decision = row["decision"].lower()
    if decision not in _DECISIONS:
        raise ValueError(f"decision {row['decision']!r} is not one of {', '.join(_DECISIONS)}")
    reviewer = row.get("reviewer") or default_reviewer
    if not reviewer:
        raise ValueError("no reviewer: fill the reviewer column or pass --reviewer")
    fields = {
        "candidate_id": cid,
        "decision": decision,
        "reason_codes": tuple(c.strip() for c in row.get("reason_codes", "").replace(",", ";")
                              .split(";") if c.strip()),
        "photorealism": _score(row, "photorealism"),
        "consistency": _score(row, "consistency"),
        "reviewer": reviewer,
        "decided_at": row.get("decided_at") or now.isoformat(),
        "note": row.get("note", ""),
    }
    try:
        return CurationVerdict.model_validate(fields, strict=False)
    except pydantic.ValidationError as exc:
        name, reason = format_validation_error(exc)
        raise ValueError(f"field {name!r}: {reason}") from None


def _score(row: dict[str, str], name: str) -> int | None:
    value = row.get(name, "")
    if not value:
        return None
    try:
        score = int(float(value))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a number from 1 to 5") from None
    if score != float(value) or not 1 <= score <= 5:
        raise ValueError(f"{name} {value!r} is not a whole number from 1 to 5")
    return score


def _same_decision(new: CurationVerdict, old: CurationVerdict | None, decided_at: str) -> bool:
    if old is None:
        return False
    keys = ("decision", "reason_codes", "photorealism", "consistency", "reviewer", "note")
    same = all(getattr(new, k) == getattr(old, k) for k in keys)
    return same and (not decided_at or new.decided_at == old.decided_at)


def import_csv(
    log: VerdictLog,
    path: Path,
    *,
    default_reviewer: str | None,
    now: datetime,
) -> CsvImport:
    """Append the CSV's changed verdicts to the log (all or nothing)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"CSV file {str(path)!r} does not exist",
                         fix="pass the file written by `dermforge curate export`") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                         fix="save the sheet as 'CSV UTF-8'") from None
    result = parse_verdict_csv(text, str(path), candidates=log.candidates(),
                               latest=log.latest(), default_reviewer=default_reviewer, now=now)
    result.written = log.append(result.verdicts, labels=result.labels)
    return result
