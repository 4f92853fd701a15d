"""A workspace: the blob store plus one manifest per record type, in one folder."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from ..errors import MissingInputError
from ..schemas import (
    Assignment,
    Candidate,
    CandidateSignals,
    Crop,
    CurationVerdict,
    DownloadFailure,
    GenerationFailure,
    GenerationRequest,
    Mask,
    Prompt,
    Record,
    ReviewerEvent,
    Seed,
    SourceImage,
    SplitMembership,
    StudyAnswer,
)
from ._blobs import BlobStore
from ._manifest import Manifest

__all__ = ["AUTO_VERDICTS_FILE", "MANIFEST_FILES", "Workspace"]

R = TypeVar("R", bound=Record)

#: record type → manifest file name under ``<workspace>/records/``
MANIFEST_FILES: dict[type[Record], str] = {
    SourceImage: "sources.jsonl",
    DownloadFailure: "download_failures.jsonl",
    Seed: "seeds.jsonl",
    SplitMembership: "splits.jsonl",
    Crop: "crops.jsonl",
    Mask: "masks.jsonl",
    Prompt: "prompts.jsonl",
    GenerationRequest: "requests.jsonl",
    Candidate: "candidates.jsonl",
    GenerationFailure: "failures.jsonl",
    CurationVerdict: "verdicts.jsonl",
    CandidateSignals: "signals.jsonl",
    StudyAnswer: "study_answers.jsonl",
    ReviewerEvent: "reviewers.jsonl",
    Assignment: "assignments.jsonl",
}

#: the automatic policy's verdict log; ``MANIFEST_FILES[CurationVerdict]`` is the human one
AUTO_VERDICTS_FILE = "auto_verdicts.jsonl"


class Workspace:
    """Layout::

        <root>/blobs/ab/cdef…       content-addressed bytes (images, crops, masks)
        <root>/records/*.jsonl      one manifest per record type
        <root>/reports/             human-facing outputs (contact sheets, coverage)
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blobs = BlobStore(self.root / "blobs")
        self.records_dir = self.root / "records"
        self.reports_dir = self.root / "reports"

    def manifest(self, model: type[R]) -> Manifest[R]:
        try:
            name = MANIFEST_FILES[model]
        except KeyError:
            raise TypeError(f"no workspace manifest holds {model.__name__} records") from None
        return Manifest(self.records_dir / name, model)

    def auto_verdicts(self) -> Manifest[CurationVerdict]:
        """``records/auto_verdicts.jsonl``: the verdicts of the demo's automatic policy (the
        people's verdicts are ``manifest(CurationVerdict)``, ``records/verdicts.jsonl``)."""
        return Manifest(self.records_dir / AUTO_VERDICTS_FILE, CurationVerdict)

    def read(self, model: type[R]) -> list[R]:
        return self.manifest(model).read()

    def require(self, model: type[R], *, made_by: str) -> list[R]:
        """The records of ``model``, which a stage needs as its input; MissingInputError
        naming the file and the command ``made_by`` that writes it when there are none."""
        manifest = self.manifest(model)
        records = manifest.read() if manifest.exists() else []
        if not records:
            state = "is empty" if manifest.exists() else "does not exist"
            raise MissingInputError(f"no {manifest.path.stem} in {self.root}: {manifest.path} "
                                    f"{state}", fix=f"run `{made_by} -w {self.root}` first")
        return records

    @classmethod
    def open(cls, root: Path | str) -> Workspace:
        """The existing workspace at ``root``: MissingInputError (naming the folder and how to
        make one) when it is not one. Only ``sources import|download`` create a workspace
        (``Workspace(root).create()``); every other command opens one, so a mistyped
        ``-w`` fails instead of reading an empty workspace."""
        workspace = cls(Path(root))
        if not workspace.exists():
            what = "does not exist" if not workspace.root.exists() else (
                f"is not a dermforge workspace (it has no {workspace.records_dir.name}/ folder)")
            raise MissingInputError(
                f"workspace {str(workspace.root)!r} {what}",
                fix=f"check the -w path, or create the workspace with `dermforge sources "
                    f"import --demo -w {workspace.root}` (or `sources import FOLDER` / "
                    "`sources download`)")
        return workspace

    def exists(self) -> bool:
        """Whether ``root`` is a workspace (a folder with a ``records/`` folder)."""
        return self.records_dir.is_dir()

    def create(self) -> Workspace:
        """Make the workspace's folders (those missing); returns it."""
        for folder in (self.blobs.root, self.records_dir, self.reports_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
