"""What publishing checks before anything leaves the machine.

The release itself is checked by the one verifier, :func:`dermforge.builder.verify_release`
(every file against MANIFEST.json and release.json, every row and image); what is specific to
the Hub is checked here: the tag is ``vX.Y.Z`` and names the version release.json states.
Files a Hub clone adds (``.gitattributes``, ``.git/``, ``.cache/huggingface/``) are
:data:`dermforge.builder.HUB_ADDED`: never listed, never uploaded.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..builder import MANIFEST_JSON, ReleaseFolder, VerifyReport, verify_release
from ..errors import InputError, ReleaseError

__all__ = ["TAG_PATTERN", "Publishable", "check_publishable", "check_tag"]

TAG_PATTERN = re.compile(r"^v(\d+\.\d+\.\d+)$")
_SHOWN = 10


@dataclass(frozen=True)
class Publishable:
    """A verified release: its files (MANIFEST.json and every file it lists), their total
    size, its version and the verifier's report."""

    root: Path
    version: str
    files: tuple[str, ...]
    total_bytes: int
    report: VerifyReport


def check_tag(tag: str) -> str:
    """Return the version inside a ``vX.Y.Z`` tag, or raise InputError."""
    match = TAG_PATTERN.match(tag)
    if match is None:
        raise InputError(f"tag {tag!r} is not of the form vX.Y.Z",
                         fix="pass --tag v<major>.<minor>.<patch>, e.g. --tag v1.0.0")
    return match.group(1)


def check_publishable(root: Path, tag: str,
                      on_file: Callable[[str], None] | None = None, *,
                      unvalidated: bool = False) -> Publishable:
    """Verify the release in ``root`` in full and ``tag`` against its version; raise
    NotAReleaseError (not a release), ReleaseError (fails verification or the tag, or is
    unvalidated — release.json ``evaluation`` null — unless ``unvalidated``)."""
    tag_version = check_tag(tag)
    folder = ReleaseFolder(root)
    with contextlib.suppress(ReleaseError):  # a cheap first look; verify names any problem
        _check_version(folder, folder.release.version, tag, tag_version)
    report = verify_release(folder.root, on_file=on_file)
    if not report.ok or report.release is None:
        shown = "\n  ".join(map(str, report.problems[:_SHOWN]))
        more = len(report.problems) - _SHOWN
        raise ReleaseError(
            f"{folder.root} fails `dermforge verify` ({len(report.problems)} problem(s)); "
            f"nothing was published:\n  {shown}" + (f"\n  … and {more} more" if more > 0
                                                    else ""),
            fix="restore the release from its published copy or rebuild it with "
                "`dermforge build`, then publish again")
    _check_version(folder, report.release.version, tag, tag_version)
    if report.release.evaluation is None and not unvalidated:
        raise ReleaseError(
            f"{folder.root} is unvalidated: release.json 'evaluation' is null (no reference "
            "evaluation against Sagers et al. 2022 is attached); nothing was published",
            fix=f"evaluate it and attach the result (`dermforge evaluate {folder.root} "
                f"--source-images DIR --out EVAL_DIR --attach`, or `dermforge attach "
                f"{folder.root} --evaluation EVAL_DIR`), or publish it as unvalidated with "
                "--unvalidated (its card says so)")
    files = (MANIFEST_JSON, *sorted(folder.manifest))
    total = sum((folder.root / name).stat().st_size for name in files)
    return Publishable(folder.root, report.release.version, files, total, report)


def _check_version(folder: ReleaseFolder, version: str, tag: str, tag_version: str) -> None:
    if version != tag_version:
        raise ReleaseError(
            f"tag {tag!r} does not match the release version {version!r} that "
            f"{folder.root / 'release.json'} states",
            fix=f"publish it as --tag v{version}, or rebuild with --version {tag_version}")
