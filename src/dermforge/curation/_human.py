"""The one validator of human verdicts, used by the workbench, the CSV import and every
append to the human log.

A person's verdict must be:

- by a printable reviewer name of at most ``MAX_REVIEWER`` characters that does not start
  with ``auto:`` (reserved for automatic policies);
- with the reviewer's qualification, if stated, from :data:`~dermforge.schemas.QUALIFICATIONS`
  only;
- for reasons from :data:`REASON_CODES` only;
- scored, if at all, with whole numbers 1-5;
- with a note of at most ``MAX_NOTE`` characters (tabs and line breaks allowed, no other
  control character);
- dated no earlier than the candidate was created and no later than now plus
  ``CLOCK_SKEW``.

The field checks raise :class:`ValueError` with a reason that never quotes the value (the
workbench returns it to a web page); callers that may quote the value (the CSV import) add it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..schemas import QUALIFICATIONS, Candidate, CurationVerdict, Qualification

__all__ = [
    "AUTO_PREFIX",
    "CLOCK_SKEW",
    "MAX_NOTE",
    "MAX_REVIEWER",
    "REASON_CODES",
    "REASON_CODE_NAMES",
    "FieldProblem",
    "check_decided_at",
    "check_note",
    "check_qualification",
    "check_reason_codes",
    "check_reviewer",
    "check_score",
    "field_fix",
    "human_verdict_problems",
    "is_automatic",
]

#: reviewer names starting with this are automatic policies, never people
AUTO_PREFIX = "auto:"
MAX_REVIEWER = 64
MAX_NOTE = 2000
#: how far in the future a decided_at may lie (clocks of two machines disagree a little)
CLOCK_SKEW = timedelta(minutes=5)

#: the registry of reason codes a person may give (a verdict may carry several)
REASON_CODES: tuple[tuple[str, str], ...] = (
    ("artifact", "visible artifact or seam"),
    ("not-photorealistic", "does not look like a photograph"),
    ("wrong-morphology", "lesion does not look like the condition"),
    ("lesion-changed", "the kept lesion was altered"),
    ("skin-tone-changed", "skin tone differs from the seed"),
    ("blurry", "blurry or low detail"),
    ("near-duplicate", "copy of the seed or of another image"),
    ("test-leak", "looks like a test-split image"),
    ("other", "other (say why in the note)"),
)
REASON_CODE_NAMES = frozenset(code for code, _ in REASON_CODES)
_NOTE_CONTROLS_ALLOWED = frozenset("\t\n\r")


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a verdict, and how to fix it."""

    field: str
    reason: str
    fix: str


def is_automatic(reviewer: str) -> bool:
    return reviewer.startswith(AUTO_PREFIX)


def check_reviewer(name: str) -> str:
    """The name without surrounding spaces; ValueError when no person may use it."""
    name = name.strip()
    if not name:
        raise ValueError("the reviewer name is empty")
    if len(name) > MAX_REVIEWER:
        raise ValueError(f"the reviewer name has {len(name)} characters, more than "
                         f"{MAX_REVIEWER}")
    if not name.isprintable():
        raise ValueError("the reviewer name holds a control character or line break")
    if is_automatic(name):
        raise ValueError(f"reviewer names starting with {AUTO_PREFIX!r} are reserved for "
                         "automatic policies")
    return name


def check_qualification(value: str | None) -> Qualification | None:
    """One of :data:`QUALIFICATIONS` (any case, spaces around ignored); None for blank (not
    stated); ValueError otherwise."""
    text = (value or "").strip().lower()
    if not text:
        return None
    for known in QUALIFICATIONS:
        if text == known:
            return known
    raise ValueError("the reviewer qualification is not one of "
                     + ", ".join(QUALIFICATIONS))


def check_reason_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes, sorted and without repeats; ValueError naming how many are unknown."""
    given = set(codes)
    unknown = given - REASON_CODE_NAMES
    if unknown:
        raise ValueError(f"{len(unknown)} reason code(s) are not in the registry "
                         f"({', '.join(sorted(REASON_CODE_NAMES))})")
    return tuple(sorted(given))


def check_note(note: str) -> str:
    if len(note) > MAX_NOTE:
        raise ValueError(f"the note has {len(note)} characters, more than {MAX_NOTE}")
    if any(not c.isprintable() and c not in _NOTE_CONTROLS_ALLOWED for c in note):
        raise ValueError("the note holds a control character (only tabs and line breaks "
                         "are allowed)")
    return note


def check_score(value: str | float | None) -> int | None:
    """A score 1-5 from a number or text ('4', '4.0'); None for blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError("the score is not a number (use a whole number from 1 to 5)"
                         ) from None
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 5:
        raise ValueError("the score is not a whole number from 1 to 5")
    return int(number)


def check_decided_at(when: datetime, *, created: datetime, now: datetime) -> datetime:
    if when > now + CLOCK_SKEW:
        raise ValueError(f"decided_at lies in the future (more than "
                         f"{int(CLOCK_SKEW.total_seconds() // 60)} minutes after now, "
                         f"{now.isoformat(timespec='seconds')})")
    if when < created:
        raise ValueError(f"decided_at is before the candidate was created "
                         f"({created.isoformat()})")
    return when


_FIXES = {
    "reviewer": f"give a printable pseudonym of at most {MAX_REVIEWER} characters that does "
                f"not start with {AUTO_PREFIX!r}",
    "reviewer_qualification": "use one of " + ", ".join(QUALIFICATIONS) + ", or leave it "
                              "blank (not stated)",
    "reason_codes": "use codes of the registry only: " + ", ".join(sorted(REASON_CODE_NAMES)),
    "note": f"shorten the note to at most {MAX_NOTE} characters of text",
    "photorealism": "give a whole number from 1 to 5, or leave it blank",
    "consistency": "give a whole number from 1 to 5, or leave it blank",
    "decided_at": "date a verdict when it was made: not before the candidate was created, "
                  "not in the future, with its zone (e.g. 2026-01-31T12:00:00+00:00); in a "
                  "CSV, leave decided_at blank to use the import time",
}


def field_fix(name: str) -> str:
    return _FIXES.get(name, "correct the field")


def human_verdict_problems(verdict: CurationVerdict, *, candidate: Candidate,
                           now: datetime) -> list[FieldProblem]:
    """Every rule a person's verdict breaks (empty when it may be recorded)."""
    problems = []
    for name in _FIXES:
        try:
            _check_field(verdict, name, candidate, now)
        except ValueError as exc:
            problems.append(FieldProblem(name, str(exc), field_fix(name)))
    return problems


def _check_field(verdict: CurationVerdict, name: str, candidate: Candidate,
                 now: datetime) -> None:
    if name == "reviewer" and check_reviewer(verdict.reviewer) != verdict.reviewer:
        raise ValueError("the reviewer name has spaces around it")
    if name == "reviewer_qualification" and (
            check_qualification(verdict.reviewer_qualification)
            != verdict.reviewer_qualification):
        raise ValueError("the reviewer qualification is not written as in the vocabulary")
    if name == "reason_codes":
        check_reason_codes(verdict.reason_codes)
    elif name == "note":
        check_note(verdict.note)
    elif name in ("photorealism", "consistency"):
        check_score(getattr(verdict, name))
    elif name == "decided_at":
        check_decided_at(verdict.decided_at, created=candidate.created, now=now)
