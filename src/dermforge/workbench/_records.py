"""The workspace records the app shows, re-read only when their manifest file changed."""

from __future__ import annotations

from typing import Any, TypeVar

from ..curation import latest_verdicts
from ..schemas import (
    Candidate,
    CandidateSignals,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    Record,
    Seed,
)
from ..store import Workspace

__all__ = ["Records"]

R = TypeVar("R", bound=Record)


class Records:
    """Cached reads of a workspace's manifests (keyed by inode, mtime and size:
every write renames a new file into place).

    Every read validates the file (a bad line raises RecordError naming file and line).
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._cache: dict[type[Record], tuple[tuple[int, int, int], list[Any]]] = {}
        self._blobs: tuple[object, frozenset[str]] | None = None

    def read(self, model: type[R]) -> list[R]:
        manifest = self.workspace.manifest(model)
        try:
            stat = manifest.path.stat()
            stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        cached = self._cache.get(model)
        if cached is None or cached[0] != stamp:
            cached = (stamp, manifest.read() if stamp != (0, 0, 0) else [])
            self._cache[model] = cached
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
        return self.read(CurationVerdict)

    def latest(self) -> dict[str, CurationVerdict]:
        return latest_verdicts(self.verdicts())

    def referenced_blobs(self) -> frozenset[str]:
        """Every blob the curation pages may show: crops, masks and candidates."""
        candidates, requests = self.candidates(), self.read(GenerationRequest)
        key = (self._cache[Candidate][0], self._cache[GenerationRequest][0])
        if self._blobs is None or self._blobs[0] != key:
            shas = {c.sha256 for c in candidates}
            for request in requests:
                shas.add(request.image_sha256)
                if request.mask_sha256 is not None:
                    shas.add(request.mask_sha256)
            self._blobs = (key, frozenset(shas))
        return self._blobs[1]
