"""CSV round trip so reviewers can work in a spreadsheet: one row per candidate.

Export writes, per candidate, read-only facts (ids, condition, image path, and the automatic
policy's decision in ``auto_decision``/``auto_reviewer``) and the **human columns**
(``decision`` … ``note``), filled only with the latest verdict of a person — never with an
automatic one, so an edit never inherits an ``auto:`` reviewer or the policy's time.

Import appends a verdict for every row whose human columns differ from what export wrote
(blank decisions are skipped; an unedited export records nothing). Each such row is checked
by the one human-verdict validator (``_human.py``) and is dated with the import time unless
its ``decided_at`` cell holds a new, valid time; a ``decided_at`` left as exported is never
reused for a changed row. Import is all-or-nothing: every bad row is listed with its file,
row and field.

A reviewer's own sheet (``export --reviewer NAME``) holds only the candidates assigned to NAME
(all candidates when the workspace has no assignments) and, in the human columns, only NAME's
own latest verdict: no other person's decision and no policy's (blinding). Importing with
``--reviewer NAME`` where NAME has an active reviewer profile reads such a sheet: every row is
NAME's (a row naming another reviewer is refused), with the profile's qualification, and a
row for a candidate not assigned to NAME is refused (when assignments exist).

Cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage
return, OWASP's CSV-injection rule) are exported with a leading ``'``; import removes exactly
that quote again.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

from .._atomic import atomic_write_text
from .._text import read_utf8
from ..errors import InputError
from ..schemas import Candidate, CurationVerdict, GenerationRequest, Seed, fst_group
from ..store import Workspace
from ._assign import read_assignments
from ._auto import generation_order
from ._human import (
    FieldProblem,
    check_decided_at,
    check_note,
    check_qualification,
    check_reason_codes,
    check_reviewer,
    check_score,
    field_fix,
)
from ._log import VerdictLog, latest_verdicts
from ._reviewers import Reviewer, read_reviewers
from ._sheets import own_latest, reviewer_queue

__all__ = ["AUTO_COLUMNS", "CSV_COLUMNS", "HUMAN_COLUMNS", "CsvImport", "export_csv",
           "import_csv", "neutralise_cell", "parse_verdict_csv", "restore_cell"]

#: the automatic policy's verdict, shown for information only (import ignores them)
AUTO_COLUMNS: tuple[str, ...] = ("auto_decision", "auto_reviewer")
#: the columns a person fills; import reads only these (and candidate_id)
HUMAN_COLUMNS: tuple[str, ...] = ("decision", "reason_codes", "photorealism", "consistency",
                                  "reviewer", "reviewer_qualification", "decided_at", "note")
CSV_COLUMNS: tuple[str, ...] = ("candidate_id", "seed_id", "condition", "fst_group",
                                "image_path", *AUTO_COLUMNS, *HUMAN_COLUMNS)
Decision = Literal["accept", "reject", "undecided"]
_REQUIRED = ("candidate_id", "decision")
_DECISIONS: tuple[Decision, ...] = ("accept", "reject", "undecided")
_SHOWN = 20
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
T = TypeVar("T")


def neutralise_cell(value: str) -> str:
    """``'`` before a cell a spreadsheet would take for a formula (and before one that
    already starts with quotes and then such a character, so :func:`restore_cell` is exact)."""
    return "'" + value if _FORMULA.match(value) else value


def restore_cell(value: str) -> str:
    """Undo :func:`neutralise_cell` (and nothing else)."""
    return value[1:] if value.startswith("'") and _FORMULA.match(value, 1) else value


def _human_cells(verdict: CurationVerdict | None) -> dict[str, str]:
    if verdict is None:
        return dict.fromkeys(HUMAN_COLUMNS, "")
    return {"decision": verdict.decision, "reason_codes": ";".join(verdict.reason_codes),
            "photorealism": _opt(verdict.photorealism),
            "consistency": _opt(verdict.consistency), "reviewer": verdict.reviewer,
            "reviewer_qualification": verdict.reviewer_qualification or "",
            "decided_at": verdict.decided_at.isoformat(), "note": verdict.note}


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def export_csv(workspace: Workspace, path: Path, log: VerdictLog | None = None, *,
               reviewer: str | None = None) -> int:
    """Write one row per candidate (seed, then generation order); return the row count.
    With ``reviewer``: that reviewer's sheet (their queue, their own verdicts only)."""
    log = log or VerdictLog(workspace)
    automatic = latest_verdicts(log.automatic())
    human = log.human_latest()
    queue = None
    if reviewer is not None:
        human, automatic = own_latest(log.all(), reviewer), {}
        queue = reviewer_queue(workspace, reviewer)
    seeds = {s.source_id: s for s in workspace.manifest(Seed)}
    candidates = sorted((c for c in log.candidates().values()
                         if queue is None or c.candidate_id in queue),
                        key=lambda c: (c.seed_or_request, *generation_order(c)))
    labels = _labels(workspace, seeds)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for candidate in candidates:
        condition, group = labels.get(candidate.source_id or candidate.request_id, ("", ""))
        auto = automatic.get(candidate.candidate_id)
        cells = {
            "candidate_id": candidate.candidate_id, "seed_id": candidate.source_id or "",
            "condition": condition, "fst_group": group,
            "image_path": str(workspace.blobs.find(candidate.sha256)
                              or "(missing from the store)"),
            "auto_decision": auto.decision if auto else "",
            "auto_reviewer": auto.reviewer if auto else "",
            **_human_cells(human.get(candidate.candidate_id)),
        }
        writer.writerow([neutralise_cell(cells[c]) for c in CSV_COLUMNS])
    atomic_write_text(path, buffer.getvalue())
    return len(candidates)


def _labels(workspace: Workspace, seeds: Mapping[str, Seed]) -> dict[str, tuple[str, str]]:
    """Condition and FST group by seed id, and by request id for text-to-image requests
    (which have no seed and state both themselves)."""
    labels: dict[str, tuple[str, str]] = {sid: (s.condition, s.group)
                                          for sid, s in seeds.items()}
    for r in workspace.manifest(GenerationRequest):
        if r.condition is not None and r.fitzpatrick is not None:
            labels[r.request_id] = (r.condition, fst_group(r.fitzpatrick))
    return labels


@dataclass
class CsvImport:
    """What an import read: new verdicts (with their row labels), unchanged and blank rows,
    and the temp files of killed earlier writes that were removed."""

    verdicts: list[CurationVerdict] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    unchanged: int = 0
    blank: int = 0
    written: int = 0
    cleaned: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class _Sheet:
    origin: str
    candidates: Mapping[str, Candidate]
    human: Mapping[str, CurationVerdict]
    default_reviewer: str | None
    now: datetime


def parse_verdict_csv(
    text: str,
    origin: str,
    *,
    candidates: Mapping[str, Candidate],
    latest: Mapping[str, CurationVerdict],
    default_reviewer: str | None,
    now: datetime,
) -> CsvImport:
    """Parse and check every row against people's ``latest`` verdicts (what export put in
    the human columns); raise InputError naming each bad row and field."""
    if default_reviewer is not None:
        try:
            default_reviewer = check_reviewer(default_reviewer)
        except ValueError as exc:
            raise InputError(f"--reviewer {_shown(default_reviewer)}: {exc}",
                             fix=field_fix("reviewer")) from None
    sheet = _Sheet(origin, candidates, latest, default_reviewer, now)
    result = CsvImport()
    problems: list[tuple[str, str]] = []
    first_row: dict[str, int] = {}
    for number, row in _rows(text, origin):
        if not row.get("decision", "").strip():
            result.blank += 1
            continue
        cid = row.get("candidate_id", "").strip()
        where = f"{origin} row {number}"
        if cid in first_row:
            problems.append((f"{where}, field 'candidate_id': candidate {cid!r} already has "
                             f"a decision on row {first_row[cid]}", "give each candidate one "
                             "row"))
            continue
        first_row[cid] = number
        verdict, found = _row_verdict(cid, row, sheet)
        problems += [(f"{where}, field {p.field!r}: {p.reason}", p.fix) for p in found]
        if found:
            continue
        if verdict is None:
            result.unchanged += 1
            continue
        result.verdicts.append(verdict)
        result.labels.append(where)
    if problems:
        raise _rows_error(problems)
    return result


def _rows(text: str, origin: str) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, cells with the formula quote removed) of every data row."""
    rows: list[tuple[int, dict[str, str]]] = []
    with _field_limit(len(text) + 1):
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise InputError(f"{origin} row 1: the header lacks the column(s) {missing} "
                             f"(got {[_shown(h) for h in header][:20]})",
                             fix="start from `dermforge curate export` and keep its header row")
        try:
            for raw in reader:
                rows.append((len(rows) + 2, {k: restore_cell(v or "") for k, v in raw.items()
                                             if k is not None and k in CSV_COLUMNS}))
        except csv.Error as exc:
            raise InputError(f"{origin} row {len(rows) + 2}: not valid CSV ({exc})",
                             fix="save the sheet again as CSV (UTF-8) from the spreadsheet"
                             ) from None
    return rows


@contextlib.contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """Let one cell be as long as the file (the validator bounds each field, naming it)."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, size))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _row_verdict(cid: str, row: dict[str, str], sheet: _Sheet
                 ) -> tuple[CurationVerdict | None, list[FieldProblem]]:
    """(the row's new verdict, []), (None, []) when the row is unchanged, or (None, the
    row's problems)."""
    candidate = sheet.candidates.get(cid)
    if candidate is None:
        return None, [FieldProblem("candidate_id", f"unknown candidate id {_shown(cid)} (not "
                                   "in records/candidates.jsonl)", "copy the candidate_id "
                                   "from `dermforge curate export`; do not edit ids")]
    old = sheet.human.get(cid)
    if old is not None and all(row.get(c, "") == v for c, v in _human_cells(old).items()):
        return None, []
    problems: list[FieldProblem] = []

    def check(name: str, parse: Callable[[str], T]) -> T | None:
        value = row.get(name, "")
        try:
            return parse(value)
        except ValueError as exc:
            problems.append(FieldProblem(name, f"{exc} (got {_shown(value)})", field_fix(name)))
            return None

    decision = check("decision", _decision)
    codes = check("reason_codes", lambda v: check_reason_codes(_codes(v)))
    photorealism = check("photorealism", check_score)
    consistency = check("consistency", check_score)
    reviewer = check("reviewer", lambda v: _reviewer(v, sheet.default_reviewer))
    qualification = check("reviewer_qualification", check_qualification)
    note = check("note", check_note)
    when = check("decided_at", lambda v: _decided_at(v, old, candidate, sheet.now))
    if problems or decision is None or codes is None or reviewer is None or note is None:
        return None, problems
    verdict = CurationVerdict(
        candidate_id=cid, decision=decision, reason_codes=codes, photorealism=photorealism,
        consistency=consistency, reviewer=reviewer, decided_at=when or sheet.now, note=note,
        reviewer_qualification=qualification)
    if old is not None and when is None and _same(verdict, old):
        return None, []
    return verdict, []


def _same(new: CurationVerdict, old: CurationVerdict) -> bool:
    keys = ("decision", "reason_codes", "photorealism", "consistency", "reviewer",
            "reviewer_qualification", "note")
    return all(getattr(new, k) == getattr(old, k) for k in keys)


def _decision(value: str) -> Decision:
    decision = value.strip().lower()
    for known in _DECISIONS:
        if decision == known:
            return known
    raise ValueError(f"the decision is not one of {', '.join(_DECISIONS)}")


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.replace(",", ";").split(";") if c.strip()]


def _reviewer(value: str, default: str | None) -> str:
    name = value.strip() or default
    if not name:
        raise ValueError("no reviewer: fill the reviewer column or pass --reviewer")
    return check_reviewer(name)


def _decided_at(value: str, old: CurationVerdict | None, candidate: Candidate,
                now: datetime) -> datetime | None:
    """None: date the verdict with the import time (a blank cell, or the time export wrote)."""
    value = value.strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("decided_at is not an ISO date and time") from None
    if when.tzinfo is None:
        raise ValueError("decided_at has no time zone")
    if old is not None and when == old.decided_at:
        return None
    return check_decided_at(when, created=candidate.created, now=now)


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}…' ({len(value)} characters)"


def _rows_error(problems: list[tuple[str, str]]) -> InputError:
    lines = [line for line, _ in problems]
    fixes = sorted({fix for _, fix in problems})
    shown = lines[:_SHOWN] + ([f"… and {len(lines) - _SHOWN} more"]
                              if len(lines) > _SHOWN else [])
    return InputError(f"{len(lines)} bad row(s); nothing was imported:\n  " + "\n  ".join(shown),
                      fix="; ".join(fixes))


def import_csv(
    log: VerdictLog,
    path: Path,
    *,
    default_reviewer: str | None,
    now: datetime,
) -> CsvImport:
    """Append the CSV's changed verdicts to the human log (all or nothing), after removing
    temp files a killed earlier write of the log left (``cleaned``)."""
    cleaned = log.clean_leftovers()
    try:
        text = read_utf8(path, "CSV file")
    except FileNotFoundError:
        raise InputError(f"CSV file {str(path)!r} does not exist",
                         fix="pass the file written by `dermforge curate export`") from None
    except OSError as exc:
        raise InputError(f"cannot read the CSV file {str(path)!r} ({exc.strerror})",
                         fix="pass the file written by `dermforge curate export`") from None
    profile = read_reviewers(log.workspace).get(default_reviewer or "")
    if profile is not None and profile.active:
        result = _parse_sheet_of(log, text, str(path), profile, now)
    else:
        result = parse_verdict_csv(text, str(path), candidates=log.candidates(),
                                   latest=log.human_latest(),
                                   default_reviewer=default_reviewer, now=now)
    result.cleaned = cleaned
    result.written = log.append(result.verdicts, labels=result.labels, now=now)
    return result


def _parse_sheet_of(log: VerdictLog, text: str, origin: str, profile: Reviewer,
                    now: datetime) -> CsvImport:
    """A reviewer's own sheet: rows are theirs, with their profile's qualification, and only
    for candidates assigned to them (when assignments exist)."""
    result = parse_verdict_csv(text, origin, candidates=log.candidates(),
                               latest=own_latest(log.all(), profile.name),
                               default_reviewer=profile.name, now=now)
    queue = read_assignments(log.workspace)
    problems: list[tuple[str, str]] = []
    for verdict, label in zip(result.verdicts, result.labels, strict=True):
        if verdict.reviewer != profile.name:
            problems.append((f"{label}, field 'reviewer': {_shown(verdict.reviewer)} is not "
                             f"{profile.name!r}, whose sheet this is",
                             "leave the reviewer column blank or give your own name"))
        elif queue and profile.name not in queue.get(verdict.candidate_id, ()):
            problems.append((f"{label}, field 'candidate_id': candidate "
                             f"{verdict.candidate_id!r} is not assigned to {profile.name!r}",
                             "import only the rows of your own sheet (`dermforge curate "
                             "export --reviewer NAME`)"))
    if problems:
        raise _rows_error(problems)
    result.verdicts = [v.model_copy(update={"reviewer_qualification": profile.qualification})
                       for v in result.verdicts]
    return result
