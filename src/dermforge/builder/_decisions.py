"""Final decisions in the build's database: the curation rule over each candidate's
latest line per reviewer and role (table ``hv``), its assignments and its automatic
verdict; and the table ``decisions`` that the diff and the refusals read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ..curation import FinalDecision, decide, winning_verdict
from ..schemas import CurationRule, CurationVerdict
from ._db import BuildDB

__all__ = ["Decision", "final_decision", "merge_decisions", "micros"]

Decision = tuple[str, int, str]  # decision, decided_us, reviewer


def micros(moment: datetime) -> int:
    """An aware datetime as UTC microseconds since the epoch (sorts correctly)."""
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def final_decision(db: BuildDB, rule: CurationRule, cid: str,
           automatic: Callable[[], CurationVerdict | None]) -> FinalDecision | None:
    """One candidate's final decision from its ``hv`` rows (the latest line of each
    reviewer and role, in log order: enough for every rule) and its automatic verdict."""
    lines = [CurationVerdict.model_validate_json(text) for (text,) in db.rows(
        "SELECT json FROM hv WHERE cid = ? ORDER BY seq", (cid,))]
    assigned = [r for (r,) in db.rows("SELECT reviewer FROM assigned WHERE cid = ?", (cid,))]
    return decide(rule, lines, None if lines else automatic(), assigned=assigned)


def merge_decisions(db: BuildDB, rule: CurationRule) -> None:
    """``decisions``: per candidate, the decision that counts by the merge rule (under
    the rules majority and adjudicated: the final decision, from ``hv``)."""
    if rule != "single":
        _rule_decisions(db, rule)
        return
    decisions = db.sink("INSERT INTO decisions VALUES (?, ?, ?, ?)")
    rows = db.rows("SELECT k.cid, h.decision, h.decided_us, h.reviewer, a.decision, "
                   "a.decided_us, a.reviewer FROM (SELECT cid FROM dec_human UNION "
                   "SELECT cid FROM dec_auto) k LEFT JOIN dec_human h USING (cid) "
                   "LEFT JOIN dec_auto a USING (cid)")
    for cid, *both in rows:
        chosen = winning_verdict(_decision(both[:3]), _decision(both[3:]))
        if chosen is not None:
            decisions.add((cid, *chosen))
    decisions.flush()


def _rule_decisions(db: BuildDB, rule: CurationRule) -> None:
    decisions = db.sink("INSERT INTO decisions VALUES (?, ?, ?, ?)")
    for (cid,) in db.rows("SELECT DISTINCT cid FROM hv"):
        final = final_decision(db, rule, cid, lambda: None)
        if final is not None:
            decisions.add((cid, final.decision, micros(final.deciding.decided_at),
                           final.deciding.reviewer))
    decisions.flush()
    db.conn.execute("INSERT INTO decisions SELECT * FROM dec_auto WHERE cid NOT IN "
                    "(SELECT cid FROM hv)")


def _decision(values: Sequence[Any]) -> Decision | None:
    return None if values[0] is None else (str(values[0]), int(values[1]), str(values[2]))
