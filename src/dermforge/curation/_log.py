"""The two verdict logs of a workspace, and the one rule that merges them.

- ``records/verdicts.jsonl`` is the **human log**: the workbench and the CSV import append
  people's verdicts to it, nothing automatic ever writes it, and nothing is ever rewritten
  (the whole history stays in the file).
- ``records/auto_verdicts.jsonl`` is the **automatic log**: only the demo's policy
  (``dermforge curate auto``, :func:`~dermforge.curation.apply_policy`) writes it, rewriting
  it from the candidates and the human log at every run.

:data:`MERGE_RULE` says how the two make one state; :func:`winning_verdict` implements it and
every reader (this log, status, export, the workbench, the release builder and so the card)
uses it. A human log that holds an ``auto:`` verdict (a workspace from before the split) is
refused by every reader, naming the file, line and reviewer, until ``dermforge curate
migrate`` moves those lines.

Appends hold a file lock across "read the current state, check the new verdicts, append",
so two reviewers (or processes) appending at once never break the keep-per-seed rule and
never lose a line; the policy and the migration take the same lock. The state an append
checks is kept per candidate and read incrementally (:class:`LogIndex`: only the lines
appended since, by any process; a rewritten log is read again), and only the seeds the new
verdicts touch are checked, so an append costs O(1) in the size of the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

from ..errors import InputError, RecordError
from ..schemas import Candidate, CurationRule, CurationVerdict
from ..store import Manifest, Workspace
from ._human import CLOCK_SKEW, is_automatic
from ._logindex import LogIndex
from ._params import DEFAULT_KEEP_PER_SEED
from ._rules import VerdictProblem, check_human_verdicts
from ._team import FinalDecision, final_decisions

__all__ = ["MERGE_RULE", "VerdictLog", "check_log_line", "latest_verdicts", "merge_latest",
           "read_log", "winning_verdict"]

#: the merged-state rule, stated once (the card, README and docs quote it)
MERGE_RULE = (
    "A candidate's verdict is its last line in the human log (records/verdicts.jsonl); only "
    "a candidate without any line there takes its last line in the automatic log "
    "(records/auto_verdicts.jsonl): a person's verdict always outranks the policy's."
)

_SHOWN = 20
V = TypeVar("V")


def winning_verdict(human: V | None, automatic: V | None) -> V | None:
    """:data:`MERGE_RULE` for one candidate, given the latest line of each log (records or
    any row standing for them, e.g. the builder's SQL rows)."""
    return human if human is not None else automatic


def latest_verdicts(verdicts: Iterable[CurationVerdict]) -> dict[str, CurationVerdict]:
    """candidate id → its latest verdict within ONE log (the last line wins)."""
    latest: dict[str, CurationVerdict] = {}
    for verdict in verdicts:
        latest[verdict.candidate_id] = verdict
    return latest


def merge_latest(human: Mapping[str, CurationVerdict],
                 automatic: Mapping[str, CurationVerdict]) -> dict[str, CurationVerdict]:
    """candidate id → the verdict that counts, by :data:`MERGE_RULE`."""
    merged: dict[str, CurationVerdict] = {}
    for cid in (*automatic, *(c for c in human if c not in automatic)):
        chosen = winning_verdict(human.get(cid), automatic.get(cid))
        if chosen is not None:
            merged[cid] = chosen
    return merged


def check_log_line(verdict: CurationVerdict, path: Path, line: int, *,
                   automatic: bool, now: datetime | None = None) -> None:
    """Refuse a person's verdict in the automatic log, an ``auto:`` one in the human log, and
    a verdict dated in the future (a hand edit or a merge of the git-tracked log could
    write one, and a release built from it would claim to be made then)."""
    now = now or datetime.now(UTC)
    if verdict.decided_at > now + CLOCK_SKEW:
        raise RecordError(
            path=str(path), line=line, field="decided_at",
            reason=f"the verdict is dated {verdict.decided_at.isoformat()}, in the future "
                   f"(now is {now.isoformat(timespec='seconds')})",
            fix="correct that line's decided_at to when the verdict was made (the log is "
                "tracked by git: `git log -p` shows who wrote it)")
    if is_automatic(verdict.reviewer) == automatic:
        return
    root = path.parent.parent
    shown = repr(verdict.reviewer)[:80]
    if automatic:
        raise RecordError(
            path=str(path), line=line, field="reviewer",
            reason=f"reviewer {shown} is not an automatic policy ('auto:<name>'), but only "
                   "`dermforge curate auto` writes this file",
            fix="record people's verdicts with `dermforge curate import` or the workbench; "
                f"`dermforge curate auto -w {root}` rewrites this file")
    raise RecordError(
        path=str(path), line=line, field="reviewer",
        reason=f"an automatic verdict (reviewer {shown}) in the human verdict log: this "
               "workspace mixes people's and the policy's verdicts in one file",
        fix=f"run `dermforge curate migrate -w {root}` (it moves the automatic verdicts to "
            "records/auto_verdicts.jsonl, keeps a byte-exact backup and loses nothing)")


def read_log(manifest: Manifest[CurationVerdict], *, automatic: bool) -> list[CurationVerdict]:
    """Every verdict of one log, oldest first, each line checked by :func:`check_log_line`."""
    verdicts = manifest.read()
    now = datetime.now(UTC)
    for number, verdict in enumerate(verdicts, start=1):
        check_log_line(verdict, manifest.path, number, automatic=automatic, now=now)
    return verdicts


class VerdictLog:
    """Both verdict logs of a workspace; people's verdicts are appended here.

    ``latest()`` is the state that counts (:data:`MERGE_RULE`; under the rules majority
    and adjudicated each candidate's final decision, see :func:`final_decisions`);
    ``all()`` and ``history(candidate_id)`` are the human log's lines, ``automatic()`` the
    policy's.
    """

    def __init__(self, workspace: Workspace, *, keep_per_seed: int = DEFAULT_KEEP_PER_SEED,
                 rule: CurationRule = "single") -> None:
        self.workspace = workspace
        self.keep_per_seed = keep_per_seed
        self.rule: CurationRule = rule
        self.manifest: Manifest[CurationVerdict] = workspace.manifest(CurationVerdict)
        self.auto_manifest: Manifest[CurationVerdict] = workspace.auto_verdicts()
        self._lock = FileLock(str(self.path.parent / f".{self.path.name}.append.lock"))
        self._index = LogIndex(workspace, partial(check_log_line, automatic=False),
                               partial(check_log_line, automatic=True))

    @property
    def path(self) -> Path:
        """The human log."""
        return self.manifest.path

    @property
    def auto_path(self) -> Path:
        return self.auto_manifest.path

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock every writer of either log takes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield

    def all(self) -> list[CurationVerdict]:
        """Every verdict of the human log, oldest first."""
        return read_log(self.manifest, automatic=False)

    def automatic(self) -> list[CurationVerdict]:
        """Every verdict of the automatic log, in its order."""
        return read_log(self.auto_manifest, automatic=True)

    def human_latest(self) -> dict[str, CurationVerdict]:
        return latest_verdicts(self.all())

    def latest(self) -> dict[str, CurationVerdict]:
        """candidate id → the verdict that counts, carrying its final decision."""
        if self.rule == "single":
            return merge_latest(self.human_latest(), latest_verdicts(self.automatic()))
        return {cid: f.effective() for cid, f in self.finals().items()}

    def finals(self, extra: Sequence[CurationVerdict] = ()) -> dict[str, FinalDecision]:
        """candidate id → its final decision by the rule (with ``extra`` appended)."""
        from ._assign import read_assignments

        return final_decisions(self.rule, [*self.all(), *extra],
                               latest_verdicts(self.automatic()),
                               read_assignments(self.workspace))

    def history(self, candidate_id: str) -> list[CurationVerdict]:
        """The people's verdicts on one candidate, oldest first (read incrementally)."""
        return self._index.refresh().history(candidate_id)

    def candidates(self) -> dict[str, Candidate]:
        """candidate id → Candidate (read incrementally)."""
        return self._index.refresh().candidates

    def clean_leftovers(self) -> list[Path]:
        """Remove temp files a killed rewrite of the human log left; return them."""
        return self.manifest.clean_leftovers()

    def append(
        self,
        verdicts: CurationVerdict | Iterable[CurationVerdict],
        *,
        labels: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Check people's verdicts and append them to the human log (all or none); return
        how many were written.

        Raises :class:`InputError` listing every problem — unknown candidate ids, a rule of
        the human-verdict validator (``auto:`` names, unknown reason codes, a date in the
        future, …), or a seed with more than ``keep_per_seed`` accepted candidates in the
        merged state. ``labels`` names each verdict in those messages (e.g. ``"row 7"``).
        """
        new = [verdicts] if isinstance(verdicts, CurationVerdict) else list(verdicts)
        if not new:
            return 0
        with self.locked(), self._index.lock:
            index = self._index.refresh()
            scope = index.scope(new)  # the seeds the new verdicts touch: O(their candidates)
            after = None if self.rule == "single" else index.states(self.rule, scope, new)
            problems = check_human_verdicts(
                new, candidates=index.candidates, latest=index.states(self.rule, scope),
                keep_per_seed=self.keep_per_seed, now=now or datetime.now(UTC), after=after,
            )
            if problems:
                raise _problems_error(problems, labels, self.path)
            return self.manifest.append(new)


def _problems_error(
    problems: list[VerdictProblem], labels: Sequence[str] | None, path: Path
) -> InputError:
    def label(p: VerdictProblem) -> str:
        if labels is not None and p.index < len(labels):
            return labels[p.index]
        return f"verdict #{p.index + 1} (candidate {p.candidate_id})"

    lines = [f"{label(p)}: {p.reason}" for p in problems[:_SHOWN]]
    if len(problems) > _SHOWN:
        lines.append(f"… and {len(problems) - _SHOWN} more problems")
    fixes = sorted({p.fix for p in problems})
    return InputError(
        f"{len(problems)} verdict(s) not recorded (nothing was written to {path}):\n  "
        + "\n  ".join(lines),
        fix="; ".join(fixes),
    )
