"""The workspace records the app shows, read incrementally (only appended lines are parsed)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from ..curation import (
    ReviewerBook,
    assignments_from_lines,
    book_from_events,
    check_log_line,
    final_decisions,
    latest_verdicts,
    merge_latest,
)
from ..schemas import (
    Assignment,
    Candidate,
    CandidateSignals,
    CurationRule,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    Record,
    ReviewerEvent,
    Seed,
)
from ..store import Manifest, ManifestCursor, Workspace

__all__ = ["Records"]

R = TypeVar("R", bound=Record)


class Records:
    """Reads of a workspace's manifests kept up to date incrementally: each file has a
    :class:`~dermforge.store.ManifestCursor`, so a change costs a ``stat`` plus the lines
    appended since (another process's included); a rewritten or truncated file is read again
    in full.

    Every read validates the file (a bad line raises RecordError naming file and line).
    """

    def __init__(self, workspace: Workspace, rule: CurationRule = "single") -> None:
        self.workspace = workspace
        self.rule: CurationRule = rule
        self._cursors: dict[Path, ManifestCursor[Any]] = {}
        self._blobs: tuple[object, frozenset[str]] | None = None
        self.extensions: dict[str, Any] = {}
        #: held while a cursor or a state kept in ``extensions`` is refreshed or read
        self.lock = threading.RLock()

    def read(self, model: type[R]) -> list[R]:
        return list(self.cursor(model).records)

    def cursor(self, model: type[R]) -> ManifestCursor[R]:
        """The refreshed cursor of ``model``'s manifest (the human verdict log's is
        :meth:`log_cursor`'s, which checks every line)."""
        if model is CurationVerdict:
            return cast(ManifestCursor[R], self.log_cursor(automatic=False))
        return self._refreshed(self.workspace.manifest(model), None)

    def log_cursor(self, automatic: bool) -> ManifestCursor[CurationVerdict]:
        """The refreshed cursor of the human (or automatic) verdict log, each line checked by
        :func:`~dermforge.curation.check_log_line`."""
        manifest = (self.workspace.auto_verdicts() if automatic
                    else self.workspace.manifest(CurationVerdict))
        return self._refreshed(manifest, partial(_check_line, automatic=automatic))

    def _refreshed(self, manifest: Manifest[R],
                   check: Callable[[R, Path, int], None] | None) -> ManifestCursor[R]:
        with self.lock:
            cursor = self._cursors.get(manifest.path)
            if cursor is None:
                cursor = self._cursors[manifest.path] = ManifestCursor(manifest, check)
            cursor.refresh()
            return cursor

    def seeds(self) -> dict[str, Seed]:
        return {s.source_id: s for s in self.read(Seed)}

    def candidates(self) -> list[Candidate]:
        return self.read(Candidate)

    def requests(self) -> dict[str, GenerationRequest]:
        return {r.request_id: r for r in self.read(GenerationRequest)}

    def masks(self) -> dict[str, Mask]:
        return {m.sha256: m for m in self.read(Mask)}

    def prompts(self) -> dict[tuple[str, str], Prompt]:
        return {(p.source_id, p.text): p for p in self.read(Prompt)}

    def signals(self) -> dict[str, CandidateSignals]:
        latest: dict[str, CandidateSignals] = {}
        for record in self.read(CandidateSignals):
            latest[record.candidate_id] = record
        return latest

    def verdicts(self) -> list[CurationVerdict]:
        """People's verdicts (the human log; one holding an ``auto:`` verdict is refused)."""
        return list(self.log_cursor(automatic=False).records)

    def auto_verdicts(self) -> list[CurationVerdict]:
        return list(self.log_cursor(automatic=True).records)

    def latest(self) -> dict[str, CurationVerdict]:
        """The verdict that counts per candidate (the one merge rule of the curation; under
        the rules majority and adjudicated it carries the final decision)."""
        automatic = latest_verdicts(self.auto_verdicts())
        if self.rule == "single":
            return merge_latest(latest_verdicts(self.verdicts()), automatic)
        finals = final_decisions(self.rule, self.verdicts(), automatic, self.assignments())
        return {cid: f.effective() for cid, f in finals.items()}

    def reviewers(self) -> ReviewerBook:
        """The workspace's reviewer profiles (re-read when records/reviewers.jsonl changes)."""
        return book_from_events(self.read(ReviewerEvent))

    def assignments(self) -> dict[str, tuple[str, ...]]:
        """candidate id → assigned reviewers (empty without records/assignments.jsonl)."""
        return assignments_from_lines(self.read(Assignment))

    def referenced_blobs(self) -> frozenset[str]:
        """Every blob the curation pages may show: crops, masks and candidates."""
        with self.lock:
            candidates, requests = self.cursor(Candidate), self.cursor(GenerationRequest)
            key = (candidates.version(), requests.version())
            if self._blobs is None or self._blobs[0] != key:
                shas = {c.sha256 for c in candidates.records}
                for request in requests.records:
                    if request.image_sha256 is not None:  # None: text-to-image, no input
                        shas.add(request.image_sha256)
                    if request.mask_sha256 is not None:
                        shas.add(request.mask_sha256)
                self._blobs = (key, frozenset(shas))
            return self._blobs[1]


def _check_line(verdict: CurationVerdict, path: Path, line: int, *, automatic: bool) -> None:
    check_log_line(verdict, path, line, automatic=automatic)
