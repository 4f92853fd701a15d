"""`dermforge attach`: a release carrying its own validation.

The reports of `dermforge evaluate --out EVAL` (:data:`VALIDATION_FILES`) are copied into
``validation/``; release.json ``evaluation`` is filled from ``validation/metrics.json``; the
card, croissant.json, release.json and MANIFEST.json are written again. Before anything is
written, the evaluation must be of this release (its name and version) and of its data as
listed now (``data_sha256``), and the release must pass `verify` in full — attaching signs
the release's files again, so it never signs a damaged one.

The new folder is assembled beside the target and renamed into place (in place: exchanged
with the old folder in one step), so a release is never half-attached.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._atomic import atomic_write_text
from ..cards import croissant, render_card
from ..errors import InputError, ReleaseError
from ..schemas import Release, ReleaseEvaluation
from ..store import sha256_file
from ._card_input import card_input_of
from ._describe import _dump
from ._folder import MANIFEST_JSON, RELEASE_JSON, FileEntry, ReleaseFolder, walk_files
from ._manifest import write_manifest
from ._partial import clean_partials, partial
from ._validation import (
    VALIDATION_DIR,
    VALIDATION_FILES,
    MetricsError,
    data_sha256,
    evaluation_of,
    read_metrics,
)
from ._verify import require_verified

__all__ = ["AttachResult", "attach_validation"]

#: files the attachment writes anew; every other file is carried over unchanged
_REWRITTEN = ("README.md", "croissant.json", RELEASE_JSON, MANIFEST_JSON)
_EVALUATE = "`dermforge evaluate RELEASE --source-images DIR --out EVAL_DIR`"


@dataclass(frozen=True)
class AttachResult:
    path: Path
    release: Release
    #: this very evaluation was attached already: nothing was written
    unchanged: bool = False
    #: partial folders of killed runs (beside ``path``) that this run removed
    cleaned: list[Path] = field(default_factory=list)

    @property
    def evaluation(self) -> ReleaseEvaluation:
        assert self.release.evaluation is not None  # set by every attachment
        return self.release.evaluation


def attach_validation(release: Path | str, evaluation: Path | str, *,
                      out: Path | str | None = None) -> AttachResult:
    """Attach the evaluation in folder ``evaluation`` to the release in ``release``: in
    place, or into the new folder ``out``. Raises InputError (an evaluation folder that is
    incomplete or unreadable), ReleaseError (an evaluation of another release or of other
    data; a release that fails `verify`; one validated already with another evaluation; an
    existing ``out``), NotAReleaseError."""
    source = ReleaseFolder(release)
    target = Path(out) if out is not None else source.root
    in_place = target.resolve() == source.root.resolve()
    if not in_place and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ReleaseError(f"{target} already exists: a release is never overwritten",
                           fix="pass a new --out folder, or leave --out out to attach in place")
    eval_dir = Path(evaluation)
    summary = _read_evaluation(eval_dir)
    _check_belongs(source, eval_dir, summary)
    if source.release.evaluation is not None:
        if not _same_files(source, eval_dir):
            raise ReleaseError(
                f"{source.root} is validated already, by another evaluation than "
                f"{eval_dir} (its validation/ files differ)",
                fix="attach the new evaluation to the unvalidated release it came from "
                    "(e.g. `dermforge attach release-unvalidated --evaluation EVAL_DIR --out "
                    "NEW_RELEASE`), or rebuild the release and attach to that")
        if in_place:
            return AttachResult(source.root, source.release, unchanged=True)
    require_verified(
        source.root, refusal="attaching would sign its files again, so nothing was attached",
        fix="restore the release from its published copy or rebuild it with "
            "`dermforge build`, evaluate it, then attach")
    cleaned = clean_partials(target)
    with partial(target, replace=in_place) as tmp:
        attached = _assemble(tmp, source, eval_dir, summary, link=in_place)
    return AttachResult(target, attached, cleaned=cleaned)


def _read_evaluation(folder: Path) -> ReleaseEvaluation:
    if not folder.is_dir():
        raise InputError(f"evaluation folder {str(folder)!r} does not exist or is not a "
                         "folder", fix=f"evaluate the release first: {_EVALUATE}")
    for name in VALIDATION_FILES:
        if not (folder / name).is_file():
            raise InputError(f"evaluation folder {str(folder)!r} has no {name} (a release "
                             f"carries {', '.join(VALIDATION_FILES)})",
                             fix=f"pass the --out folder of {_EVALUATE}, complete")
    path = folder / "metrics.json"
    try:
        return evaluation_of(read_metrics(path))
    except MetricsError as exc:
        raise InputError(f"{path} {exc}",
                         fix=f"evaluate the release again with this dermforge: {_EVALUATE}"
                         ) from None


def _check_belongs(source: ReleaseFolder, eval_dir: Path, summary: ReleaseEvaluation) -> None:
    """The evaluation names this release and digests its data files as listed now."""
    stated: Mapping[str, Any] = read_metrics(eval_dir / "metrics.json")["release"]
    release = source.release
    fix = f"evaluate this release ({_EVALUATE}) and attach that evaluation"
    if (stated.get("name"), stated.get("version")) != (release.name, release.version):
        raise ReleaseError(
            f"{eval_dir / 'metrics.json'} is an evaluation of release "
            f"{stated.get('name')!r} version {stated.get('version')!r}, not of "
            f"{release.name!r} version {release.version!r} ({source.root})", fix=fix)
    digest = data_sha256(source.manifest)
    if summary.data_sha256 != digest:
        raise ReleaseError(
            f"{eval_dir / 'metrics.json'} evaluated data files digesting to "
            f"{summary.data_sha256} (data_sha256), but the data files {source.root} lists in "
            f"{MANIFEST_JSON} digest to {digest}: the data changed since the evaluation",
            fix=fix)


def _same_files(source: ReleaseFolder, eval_dir: Path) -> bool:
    recorded = source.manifest
    for name in VALIDATION_FILES:
        entry = recorded.get(f"{VALIDATION_DIR}/{name}")
        if entry is None or entry.sha256 != sha256_file(eval_dir / name):
            return False
    return True


def _assemble(tmp: Path, source: ReleaseFolder, eval_dir: Path, summary: ReleaseEvaluation,
              *, link: bool) -> Release:
    known = {rel: entry for rel, entry in source.manifest.items()
             if rel not in _REWRITTEN and not rel.startswith(f"{VALIDATION_DIR}/")}
    for rel in known:
        _carry(source.root / rel, tmp / rel, link=link)
    for name in VALIDATION_FILES:
        _carry(eval_dir / name, tmp / VALIDATION_DIR / name, link=False)
    card = card_input_of(source, summary)
    _dump(tmp / "croissant.json", croissant(card))
    atomic_write_text(tmp / "README.md", render_card(card))
    hashes = _hashes(tmp, known)
    release = source.release.model_copy(update={
        "evaluation": summary, "files": {rel: e.sha256 for rel, e in hashes.items()}})
    _dump(tmp / RELEASE_JSON, release.model_dump(mode="json"))
    write_manifest(tmp, known=hashes)
    return release


def _carry(src: Path, dst: Path, *, link: bool) -> None:
    """A hard link when replacing in place (the old folder goes away), else a copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # a file system without hard links: copy
    shutil.copyfile(src, dst)
    with dst.open("rb") as handle:
        os.fsync(handle.fileno())


def _hashes(root: Path, known: Mapping[str, FileEntry]) -> dict[str, FileEntry]:
    """Every file's sha256 and size; carried files (verified) keep their recorded ones."""
    return {rel: known.get(rel) or FileEntry(sha256_file(root / rel),
                                             (root / rel).stat().st_size)
            for rel in walk_files(root)[0]}
