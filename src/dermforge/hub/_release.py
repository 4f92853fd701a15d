"""Check that a folder is a complete, untampered release before anything leaves the machine.

A release folder holds ``README.md`` (the dataset card) and ``MANIFEST.json`` (the sha256 of
every other file). Every listed file must exist with its recorded sha256, and no unlisted file
may sneak into the upload. The release version, where the folder states it (``MANIFEST.json``
or ``release.json`` ``version``, or ``version`` in the card's YAML header), must match the tag.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, IntegrityError, ReleaseError
from ..store import sha256_file

__all__ = ["TAG_PATTERN", "ReleaseFolder", "check_release_folder", "check_tag"]

TAG_PATTERN = re.compile(r"^v(\d+\.\d+\.\d+)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_IGNORED = ((".git",), (".cache", "huggingface"))  # huggingface_hub never uploads these


@dataclass(frozen=True)
class ReleaseFolder:
    """A checked release: its files (relative POSIX paths), total bytes, stated version."""

    root: Path
    files: tuple[str, ...]
    total_bytes: int
    version: str | None


def check_tag(tag: str) -> str:
    """Return the version inside a ``vX.Y.Z`` tag, or raise InputError."""
    match = TAG_PATTERN.match(tag)
    if match is None:
        raise InputError(f"tag {tag!r} is not of the form vX.Y.Z",
                         fix="pass --tag v<major>.<minor>.<patch>, e.g. --tag v1.0.0")
    return match.group(1)


def check_release_folder(folder: Path, tag: str) -> ReleaseFolder:
    """Verify ``folder`` against its MANIFEST.json and ``tag`` against its stated version."""
    tag_version = check_tag(tag)
    if not folder.is_dir():
        raise InputError(f"release folder {str(folder)!r} does not exist or is not a folder",
                         fix="pass the folder written by `dermforge build --out DIR`")
    for required in ("README.md", "MANIFEST.json"):
        if not (folder / required).is_file():
            raise ReleaseError(f"{folder / required} is missing: {str(folder)!r} is not a "
                               "release folder", fix="build it with `dermforge build`")
    manifest_path = folder / "MANIFEST.json"
    manifest = _read_json(manifest_path)
    recorded = _recorded_hashes(manifest, manifest_path)
    _check_contents(folder, recorded)
    version = _stated_version(folder, manifest)
    if version is not None and version != tag_version:
        raise ReleaseError(
            f"tag {tag!r} does not match the release version {version!r} stated in {folder}",
            fix=f"publish it as --tag v{version}, or rebuild with --version {tag_version}")
    files = ("MANIFEST.json", *sorted(recorded))
    total = sum((folder / name).stat().st_size for name in files)
    return ReleaseFolder(folder, files, total, version)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReleaseError(f"{path} is not valid JSON: {exc}",
                           fix="rebuild the release with `dermforge build`") from None


def _recorded_hashes(manifest: Any, path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from the accepted MANIFEST.json layouts."""
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    if isinstance(entries, list):
        pairs = [(e.get("path"), e.get("sha256")) for e in entries if isinstance(e, dict)]
        if len(pairs) != len(entries):
            pairs.append((None, None))
    elif isinstance(entries, dict):
        pairs = [(k, v.get("sha256") if isinstance(v, dict) else v) for k, v in entries.items()]
    else:
        raise ReleaseError(f"{path} has no 'files' listing (path → sha256)",
                           fix="rebuild the release with `dermforge build`")
    recorded: dict[str, str] = {}
    for name, digest in pairs:
        if not isinstance(name, str) or not isinstance(digest, str) or not _SHA256.match(digest):
            raise ReleaseError(f"{path}: entry {name!r} has no valid sha256 ({digest!r})",
                               fix="rebuild the release with `dermforge build`")
        if name.startswith("/") or ".." in Path(name).parts or name == "MANIFEST.json":
            raise ReleaseError(f"{path}: entry {name!r} is not a file inside the release",
                               fix="rebuild the release with `dermforge build`")
        recorded[name] = digest
    if "README.md" not in recorded:
        raise ReleaseError(f"{path} does not list README.md",
                           fix="rebuild the release with `dermforge build`")
    return recorded


def _check_contents(folder: Path, recorded: dict[str, str]) -> None:
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and not _ignored(p.relative_to(folder))}
    unlisted = sorted(present - set(recorded) - {"MANIFEST.json"})
    if unlisted:
        raise ReleaseError(
            f"{len(unlisted)} file(s) in {folder} are not listed in MANIFEST.json, e.g. "
            f"{unlisted[0]!r}; they would be published without a recorded sha256",
            fix="remove them, or rebuild the release with `dermforge build`")
    for name, expected in sorted(recorded.items()):
        path = folder / name
        if not path.is_file():
            raise IntegrityError(f"{path} is listed in MANIFEST.json but missing",
                                 fix="rebuild the release with `dermforge build`")
        actual = sha256_file(path)
        if actual != expected:
            raise IntegrityError(
                f"{path} changed since the release was built: sha256 {actual}, "
                f"MANIFEST.json records {expected}",
                fix="restore the file or rebuild the release; `dermforge verify DIR` lists "
                    "every changed file")


def _ignored(relative: Path) -> bool:
    return any(relative.parts[:len(prefix)] == prefix for prefix in _IGNORED)




def _stated_version(folder: Path, manifest: Any) -> str | None:
    stated: dict[str, str] = {}
    if isinstance(manifest, dict) and isinstance(manifest.get("version"), str):
        stated["MANIFEST.json"] = manifest["version"]
    release_json = folder / "release.json"
    if release_json.is_file():
        data = _read_json(release_json)
        if isinstance(data, dict) and isinstance(data.get("version"), str):
            stated["release.json"] = data["version"]
    card_version = _card_version(folder / "README.md")
    if card_version is not None:
        stated["README.md"] = card_version
    if len(set(stated.values())) > 1:
        raise ReleaseError(f"the release in {folder} states different versions: "
                           + ", ".join(f"{k} says {v!r}" for k, v in stated.items()),
                           fix="rebuild the release with `dermforge build`")
    return next(iter(stated.values()), None)


def _card_version(readme: Path) -> str | None:
    text = readme.read_text(encoding="utf-8")
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.DOTALL)
    if match is None:
        return None
    try:
        header = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ReleaseError(f"{readme}: the YAML header does not parse: {exc}",
                           fix="rebuild the release with `dermforge build`") from None
    version = header.get("version") if isinstance(header, dict) else None
    return str(version) if version is not None else None
