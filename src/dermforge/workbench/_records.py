"""The workspace records the app shows, re-read only when their manifest file changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..curation import (
    ReviewerBook,
    assignments_from_lines,
    book_from_events,
    final_decisions,
    latest_verdicts,
    merge_latest,
    read_log,
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
from ..store import Manifest, Workspace

__all__ = ["Records"]

R = TypeVar("R", bound=Record)
T = TypeVar("T")


class Records:
    """Cached reads of a workspace's manifests, keyed by inode, mtime and size (an append
    changes the size, a rewrite the inode).

    Every read validates the file (a bad line raises RecordError naming file and line).
    """

    def __init__(self, workspace: Workspace, rule: CurationRule = "single") -> None:
        self.workspace = workspace
        self.rule: CurationRule = rule
        self._cache: dict[Path, tuple[tuple[int, int, int], list[Any]]] = {}
        self._blobs: tuple[object, frozenset[str]] | None = None
        self._memo: dict[str, tuple[tuple[tuple[int, int, int], ...], list[Path], Any]] = {}

    def read(self, model: type[R]) -> list[R]:
        return self._read(self.workspace.manifest(model), lambda m: m.read())

    def _read(self, manifest: Manifest[R], load: Callable[[Manifest[R]], list[R]]) -> list[R]:
        cached = self._cache.get(manifest.path)
        stamp = _stamp(manifest.path)
        if cached is None or cached[0] != stamp:
            cached = (stamp, load(manifest) if stamp != (0, 0, 0) else [])
            self._cache[manifest.path] = cached
        return list(cached[1])

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
        return self._read(self.workspace.manifest(CurationVerdict),
                          lambda m: read_log(m, automatic=False))

    def auto_verdicts(self) -> list[CurationVerdict]:
        return self._read(self.workspace.auto_verdicts(), lambda m: read_log(m, automatic=True))

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

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until a manifest it read (through this object) changes."""
        kept = self._memo.get(name)
        if kept is not None and tuple(_stamp(p) for p in kept[1]) == kept[0]:
            return kept[2]  # type: ignore[no-any-return]
        value = compute()
        paths = list(self._cache)
        self._memo[name] = (tuple(self._cache[p][0] for p in paths), paths, value)
        return value

    def referenced_blobs(self) -> frozenset[str]:
        """Every blob the curation pages may show: crops, masks and candidates."""
        candidates, requests = self.candidates(), self.read(GenerationRequest)
        key = (_stamp(self.workspace.manifest(Candidate).path),
               _stamp(self.workspace.manifest(GenerationRequest).path))
        if self._blobs is None or self._blobs[0] != key:
            shas = {c.sha256 for c in candidates}
            for request in requests:
                if request.image_sha256 is not None:  # None: text-to-image, no input image
                    shas.add(request.image_sha256)
                if request.mask_sha256 is not None:
                    shas.add(request.mask_sha256)
            self._blobs = (key, frozenset(shas))
        return self._blobs[1]


def _stamp(path: Path) -> tuple[int, int, int]:
    """(inode, mtime, size) of a file; zeros when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)
