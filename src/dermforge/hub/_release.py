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

from .._text import read_utf8
from ..builder import MANIFEST_JSON, ReleaseFolder, VerifyReport, verify_release
from ..errors import InputError, ReleaseError
from ..schemas import ReleaseSigning

__all__ = ["TAG_PATTERN", "Publishable", "check_publishable", "check_tag"]

TAG_PATTERN = re.compile(r"^v(\d+\.\d+\.\d+)$")
_SHOWN = 10


@dataclass(frozen=True)
class Publishable:
    """A verified release: its files (MANIFEST.json, every file it lists and, when signed,
    its detached signature), their total size, its version and the verifier's report."""

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
                      repo_id: str | None = None,
                      unvalidated: bool = False, unsigned: bool = False) -> Publishable:
    """Verify the release in ``root`` in full and ``tag`` against its version (and, given
    ``repo_id``, against the repository its card names); raise NotAReleaseError (not a
    release), ReleaseError (fails verification, the tag or the repository, or is
    unvalidated — release.json ``evaluation`` null — unless ``unvalidated``, or unsigned —
    release.json ``signing`` null — unless ``unsigned``; a signed release lacking its
    detached signature file)."""
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
    if repo_id is not None:
        _check_card(folder, repo_id, tag)
    if report.release.evaluation is None and not unvalidated:
        raise ReleaseError(
            f"{folder.root} is unvalidated: release.json 'evaluation' is null (no reference "
            "evaluation against Sagers et al. 2022 is attached); nothing was published",
            fix=f"evaluate it and attach the result (`dermforge evaluate {folder.root} "
                f"--source-images DIR --out EVAL_DIR --attach`, or `dermforge attach "
                f"{folder.root} --evaluation EVAL_DIR`), or publish it as unvalidated with "
                "--unvalidated (its card says so)")
    signature = _check_signed(folder, report.release.signing, unsigned)
    files = (MANIFEST_JSON, *sorted(folder.manifest), *signature)
    total = sum((folder.root / name).stat().st_size for name in files)
    return Publishable(folder.root, report.release.version, files, total, report)


def _check_signed(folder: ReleaseFolder, signing: ReleaseSigning | None,
                  unsigned: bool) -> tuple[str, ...]:
    """The signature file to upload beside the MANIFEST-listed files (none if unsigned)."""
    if signing is None:
        if unsigned:
            return ()
        raise ReleaseError(
            f"{folder.root} is unsigned: release.json 'signing' is null (no detached "
            "signature, no Content Credentials in its images); nothing was published",
            fix=f"sign it (`dermforge sign {folder.root} --key PRIVATE.pem --cert CHAIN.pem "
                "--out SIGNED`) and publish SIGNED, or publish it as unsigned with "
                "--unsigned (its card says so)")
    if not (folder.root / signing.signature).is_file():
        raise ReleaseError(
            f"{folder.root} is signed (release.json 'signing') but its detached signature "
            f"{folder.root / signing.signature} is missing; nothing was published",
            fix="restore the signed release from its published copy, or sign the unsigned "
                "release again with `dermforge sign`")
    return (signing.signature,)


def _check_version(folder: ReleaseFolder, version: str, tag: str, tag_version: str) -> None:
    if version != tag_version:
        raise ReleaseError(
            f"tag {tag!r} does not match the release version {version!r} that "
            f"{folder.root / 'release.json'} states",
            fix=f"publish it as --tag v{version}, or rebuild with --release-version {tag_version}")


def _check_card(folder: ReleaseFolder, repo_id: str, tag: str) -> None:
    """The card's load snippets name ``repo_id`` and ``revision=tag``: else it would lie."""
    build = folder.release.params.get("build")
    card_repo = build.get("repo_id") if isinstance(build, dict) else None
    readme = folder.root / "README.md"
    if card_repo is None:
        raise ReleaseError(
            f"{readme} names no Hub repository (release.json params.build has no repo_id: "
            "built by an older dermforge), so its load snippets cannot point at "
            f"{repo_id!r}",
            fix=f"set build.repo_id: {repo_id} in params.yaml and rebuild with "
                "`dermforge build`, then publish again")
    if card_repo != repo_id:
        raise ReleaseError(
            f"--repo {repo_id!r} differs from the repository {card_repo!r} that {readme} "
            f"tells users to load (release.json params.build.repo_id); the uploaded card "
            "would point them elsewhere",
            fix=f"publish with --repo {card_repo}, or set build.repo_id: {repo_id} in "
                "params.yaml and rebuild")
    snippet = f'load_dataset("{repo_id}", split="train", revision="{tag}")'
    if snippet not in read_utf8(readme, "dataset card"):
        raise ReleaseError(
            f"{readme} has no load snippet {snippet}: the card does not match this release",
            fix="rebuild the release with `dermforge build`, then publish again")
