"""What changed since the previous release: rows added and removed, verdicts changed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..schemas import Release
from ._folder import ReleaseFolder
from ._rows import SeedKey

__all__ = ["PreviousRelease", "ReleaseDiff", "diff_releases", "read_previous"]

_LISTED = 50


@dataclass
class PreviousRelease:
    release: Release
    changelog: str
    synthetic_added_in: dict[str, str]
    verdicts: dict[str, str | None]
    added_in: dict[str, str]
    seeds_added_in: dict[SeedKey, str]

    @property
    def synthetic(self) -> set[str]:
        return set(self.synthetic_added_in)


def read_previous(root: Path) -> PreviousRelease:
    """The facts of a previous release that the next one builds on (no images read)."""
    folder = ReleaseFolder(root)
    release = folder.release()
    synthetic: dict[str, str] = {}
    for _, batch in folder.batches("synthetic", ["image_id", "release_added"]):
        synthetic.update(zip(*(c.to_pylist() for c in batch.columns), strict=True))
    verdicts: dict[str, str | None] = {}
    added_in: dict[str, str] = {}
    for _, batch in folder.batches("candidates", ["image_id", "verdict", "release_added"]):
        for image_id, verdict, added in zip(*(c.to_pylist() for c in batch.columns),
                                            strict=True):
            verdicts[image_id] = verdict
            added_in[image_id] = added
    seeds: dict[SeedKey, str] = {}
    for _, batch in folder.batches("seeds", ["seed_id", "crop_sha256", "mask_sha256",
                                             "release_added"]):
        for seed, crop, mask, added in zip(*(c.to_pylist() for c in batch.columns),
                                           strict=True):
            seeds[(seed, crop, mask)] = added
    changelog_path = folder.root / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.is_file() else ""
    return PreviousRelease(release, changelog, synthetic, verdicts, added_in, seeds)


@dataclass
class ReleaseDiff:
    previous: str | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    new_candidates: int = 0

    def lines(self, counts: Mapping[str, int]) -> list[str]:
        """The changelog entry of the new release, one line per fact."""
        if self.previous is None:
            return [f"First release: {counts['synthetic']} synthetic images from "
                    f"{counts['seeds']} seeds ({counts['candidates']} candidates reviewed)."]
        lines = [f"Since {self.previous}: {len(self.added)} synthetic images added, "
                 f"{len(self.removed)} removed, {len(self.changed)} verdicts changed, "
                 f"{self.new_candidates} new candidates; {counts['synthetic']} synthetic "
                 "images in total."]
        lines += [f"Added: {i}" for i in self.added[:_LISTED]]
        lines += [f"Removed: {i}" for i in self.removed[:_LISTED]]
        lines += [f"Verdict changed: {i}: {old or 'unreviewed'} → {new or 'unreviewed'}"
                  for i, old, new in self.changed[:_LISTED]]
        hidden = sum(max(0, len(x) - _LISTED) for x in (self.added, self.removed, self.changed))
        if hidden:
            lines.append(f"… and {hidden} more changes (compare the candidates configs).")
        return lines


def diff_releases(previous: PreviousRelease | None, synthetic: set[str],
                  verdicts: Mapping[str, str | None]) -> ReleaseDiff:
    if previous is None:
        return ReleaseDiff(previous=None)
    return ReleaseDiff(
        previous=previous.release.version,
        added=sorted(synthetic - previous.synthetic),
        removed=sorted(previous.synthetic - synthetic),
        changed=sorted((i, previous.verdicts[i], v) for i, v in verdicts.items()
                       if i in previous.verdicts and previous.verdicts[i] != v),
        new_candidates=sum(1 for i in verdicts if i not in previous.verdicts),
    )
