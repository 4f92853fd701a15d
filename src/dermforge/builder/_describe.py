"""The files that describe a release, in this order: provenance.schema.json, croissant.json,
README.md (the card), CHANGELOG.md, then release.json (which records the sha256 of every file
before it) and, last, MANIFEST.json (every file, release.json included)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from .. import __version__
from .._atomic import atomic_write_text
from ..cards import CardInput, ConfigInfo, croissant, render_card, render_changelog
from ..curation import CurateParams
from ..schemas import Release, ReleaseRow, json_schema_text
from ..store import sha256_file
from ._diff import PreviousRelease, ReleaseDiff
from ._features import CONFIG_ALIASES, CONFIGS, SCHEMA_CHANGE_NOTE
from ._folder import RELEASE_JSON, FileEntry, walk_files
from ._manifest import write_manifest
from ._params import BuildParams
from ._provenance import library_versions
from ._write import Written

__all__ = ["describe"]


def describe(root: Path, written: Written, diff: ReleaseDiff, *, version: str,
             prev: PreviousRelease | None, created: datetime, params: BuildParams,
             curate: CurateParams, git_revision: str | None) -> Release:
    shards, facts = written.shards, written.facts
    atomic_write_text(root / "provenance.schema.json", json_schema_text(ReleaseRow))
    configs = [ConfigInfo(name, CONFIGS[name], sum(s.rows for s in shards[name]),
                          sum(s.num_bytes for s in shards[name]),
                          sum(s.size for s in shards[name]),
                          tuple(s.path for s in shards[name]),
                          tuple(old for old, new in CONFIG_ALIASES.items() if new == name))
               for name in CONFIGS]
    counts = {c.name: c.rows for c in configs}
    counts.update({f"verdict_{k}": sum(n for (_, _, d), n in facts.curation.items() if d == k)
                   for k in ("accept", "reject", "undecided", "unreviewed")})
    changelog = diff.lines(counts)
    if prev is not None and any(old in prev.release.counts for old in CONFIG_ALIASES):
        changelog.append(SCHEMA_CHANGE_NOTE)  # the previous release has the 0.1.0 schema
    card = CardInput(
        name=params.name, pretty_name=params.pretty_name, version=version,
        previous=prev.release.version if prev else None, created=created,
        dermforge_version=__version__, homepage=params.homepage, creator=params.creator,
        keep_per_seed=curate.keep_per_seed, facts=facts, configs=configs,
        features=written.features, changelog=changelog,
        repo_id=params.repo_id, contact=params.contact, takedown=params.takedown)
    _dump(root / "croissant.json", croissant(card))
    atomic_write_text(root / "README.md", render_card(card))
    atomic_write_text(root / "CHANGELOG.md",
                      render_changelog(card, prev.changelog if prev else ""))
    # release.json records every file written so far (the card included), then MANIFEST.json
    # records every file, release.json included
    rels = walk_files(root)[0]
    with ThreadPoolExecutor(2) as pool:  # hashlib releases the GIL: shards hash on two cores
        files = dict(zip(rels, pool.map(sha256_file, [root / rel for rel in rels]),
                         strict=True))
    known = {rel: FileEntry(sha, (root / rel).stat().st_size) for rel, sha in files.items()}
    release = Release(
        name=params.name, version=version, parent_version=prev.release.version if prev else None,
        created=created, dermforge_version=__version__, git_revision=git_revision,
        library_versions=library_versions(),
        params={"build": params.model_dump(mode="json"),
                "curate": curate.model_dump(mode="json")},
        counts=counts, files=files, changelog=tuple(changelog))
    _dump(root / RELEASE_JSON, release.model_dump(mode="json"))
    write_manifest(root, known)  # hashes only release.json again
    return release


def _dump(path: Path, data: object) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n")
