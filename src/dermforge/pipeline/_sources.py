"""The sources stage: real images of Fitzpatrick 17k into the workspace — imported from the
authors' folder layout (``<md5>.jpg``) or downloaded by URL — md5-verified against the
catalogue, decoded in full, stored in the sources blob layer and recorded in
records/sources.jsonl (download failures in records/download_failures.jsonl)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..schemas import DownloadFailure, SourceImage
from ..sources import (
    SOURCES_LAYER,
    Catalog,
    DownloadOptions,
    DownloadReport,
    ImportReport,
    download_images,
    import_folder,
    load_catalog,
)
from ..store import Workspace
from ._common import Progress, StageRun, as_workspace, stage

__all__ = ["DownloadRun", "ImportRun", "run_download", "run_import"]


@dataclass
class ImportRun(StageRun):
    report: ImportReport = field(default_factory=lambda: ImportReport(folder=""))
    present: set[str] = field(default_factory=set)


@dataclass
class DownloadRun(StageRun):
    report: DownloadReport = field(default_factory=DownloadReport)


def run_import(workspace: Workspace | Path, folder: Path, *, catalog: Catalog | None = None,
               progress: Progress | None = None) -> ImportRun:
    """Import every ``<md5>.jpg`` of ``folder``; ``report.ok`` is False when a file was
    corrupted (md5) or refused by the decoder (those are named, and not imported)."""
    ws = as_workspace(workspace, create=True)
    with stage(ws, "sources", outputs=[SourceImage], layer=SOURCES_LAYER) as cleaned:
        total = sum(1 for p in folder.iterdir() if p.is_file()) if folder.is_dir() else None
        done = 0

        def advance(_name: str) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress("importing", done, total)

        report = import_folder(folder, ws, catalog or load_catalog(), on_file=advance)
        present = {row.source_id for row in ws.manifest(SourceImage)}
    return ImportRun(cleaned=cleaned, report=report, present=present)


def run_download(workspace: Workspace | Path, rows: Sequence[SourceImage],
                 options: DownloadOptions, *,
                 on_start: Callable[[DownloadReport], None] | None = None,
                 on_result: Callable[[SourceImage, DownloadFailure | None], None] | None = None,
                 ) -> DownloadRun:
    """Download ``rows`` by URL (resumable; earlier failures are retried); ``report.ok`` is
    False when any download failed."""
    ws = as_workspace(workspace, create=True)
    with stage(ws, "sources", outputs=[SourceImage, DownloadFailure],
               layer=SOURCES_LAYER) as cleaned:
        report = download_images(rows, ws, options, on_start=on_start, on_result=on_result)
    return DownloadRun(cleaned=cleaned, report=report)
