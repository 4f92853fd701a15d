"""The verdict log: an append-only JSONL file of CurationVerdicts; the latest per candidate wins.

Appends hold a file lock across "read the current state, check the new verdicts, append",
so two reviewers (or processes) appending at once never break the keep-per-seed rule and
never lose a line. Nothing is ever rewritten: the whole history stays in the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from filelock import FileLock

from ..errors import InputError
from ..schemas import Candidate, CurationVerdict
from ..store import Manifest, Workspace
from ._params import DEFAULT_KEEP_PER_SEED
from ._rules import VerdictProblem, check_verdicts

__all__ = ["VerdictLog", "latest_verdicts"]

_SHOWN = 20


def latest_verdicts(verdicts: Iterable[CurationVerdict]) -> dict[str, CurationVerdict]:
    """candidate id → its latest verdict (the last one in log order)."""
    latest: dict[str, CurationVerdict] = {}
    for verdict in verdicts:
        latest[verdict.candidate_id] = verdict
    return latest


class VerdictLog:
    """The workspace's ``records/verdicts.jsonl``.

    ``latest()`` is the state that counts (the last verdict per candidate, in log order);
    ``history(candidate_id)`` is every verdict ever given to one candidate.
    """

    def __init__(self, workspace: Workspace, *, keep_per_seed: int = DEFAULT_KEEP_PER_SEED) -> None:
        self.workspace = workspace
        self.keep_per_seed = keep_per_seed
        self.manifest: Manifest[CurationVerdict] = workspace.manifest(CurationVerdict)
        self._lock = FileLock(str(self.path.parent / f".{self.path.name}.append.lock"))
        self._candidates: dict[str, Candidate] | None = None
        self._candidates_stamp: tuple[int, int] | None = None

    @property
    def path(self) -> Path:
        return self.manifest.path

    def all(self) -> list[CurationVerdict]:
        """Every verdict, oldest first."""
        return self.manifest.read()

    def latest(self) -> dict[str, CurationVerdict]:
        return latest_verdicts(self.manifest)

    def history(self, candidate_id: str) -> list[CurationVerdict]:
        return [v for v in self.manifest if v.candidate_id == candidate_id]

    def candidates(self) -> dict[str, Candidate]:
        """candidate id → Candidate, re-read only when candidates.jsonl changed."""
        manifest = self.workspace.manifest(Candidate)
        stat = manifest.path.stat() if manifest.exists() else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat else (0, 0)
        if self._candidates is None or stamp != self._candidates_stamp:
            self._candidates = {c.candidate_id: c for c in manifest}
            self._candidates_stamp = stamp
        return self._candidates

    def append(
        self,
        verdicts: CurationVerdict | Iterable[CurationVerdict],
        *,
        labels: Sequence[str] | None = None,
    ) -> int:
        """Check and append verdicts atomically (all or none); return how many were written.

        Raises :class:`InputError` listing every problem — unknown candidate ids, or a seed
        with more than ``keep_per_seed`` accepted candidates. ``labels`` names each verdict
        in those messages (e.g. ``"row 7"`` of an imported CSV).
        """
        new = [verdicts] if isinstance(verdicts, CurationVerdict) else list(verdicts)
        if not new:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            problems = check_verdicts(
                new, candidates=self.candidates(), latest=self.latest(),
                keep_per_seed=self.keep_per_seed,
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
