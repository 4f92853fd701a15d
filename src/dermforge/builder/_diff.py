"""What changed since the previous release: rows added and removed, verdicts changed.

The previous release's facts (no images) are read into the build's SQLite file; the new
release's verdicts are recorded there as rows are written; the diff is a few queries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReleaseError
from ..schemas import Release
from ._db import BuildDB
from ._folder import ReleaseFolder
from ._index import key_text
from ._verify import verify_release

__all__ = ["PreviousRelease", "ReleaseDiff", "diff_releases", "read_previous"]

_LISTED = 50


@dataclass
class PreviousRelease:
    """A previous release: its record and changelog; its rows live in the build's database."""

    release: Release
    changelog: str
    db: BuildDB

    def added_in(self, image_id: str) -> str | None:
        return self.db.one("SELECT added FROM prev WHERE cid = ?", (image_id,))  # type: ignore[no-any-return]

    def synthetic_added_in(self, image_id: str) -> str | None:
        return self.db.one("SELECT added FROM prev_syn WHERE cid = ?", (image_id,))  # type: ignore[no-any-return]

    def seed_added_in(self, key: tuple[str, str, str]) -> str | None:
        return self.db.one("SELECT added FROM prev_seeds WHERE k = ?", (key_text(key),))  # type: ignore[no-any-return]


def read_previous(root: Path, db: BuildDB) -> PreviousRelease:
    """Read a previous release's record, changelog and per-image facts (no images), after
    verifying it in full: its ids, verdicts and ``release_added`` become this release's
    history, so a tampered previous release is refused, not trusted."""
    report = verify_release(root)
    if not report.ok:
        shown = "\n  ".join(str(p) for p in report.problems[:5])
        raise ReleaseError(
            f"--previous {root} fails `dermforge verify` ({len(report.problems)} problem(s)); "
            f"its history would be carried into this release:\n  {shown}",
            fix="restore the previous release as published (the Hub tag, or `dvc pull`), "
                "check it with `dermforge verify`, then build again")
    folder = ReleaseFolder(root)
    release = folder.release

    def columns(config: str, names: list[str]) -> Iterator[tuple[object, ...]]:
        for _, batch in folder.batches(config, names, batch_size=4096):
            yield from zip(*(c.to_pylist() for c in batch.columns), strict=True)

    db.insert("INSERT OR REPLACE INTO prev_syn VALUES (?, ?)",
              columns("synthetic", ["image_id", "release_added"]))
    db.insert("INSERT OR REPLACE INTO prev VALUES (?, ?, ?)",
              columns("candidates", ["image_id", "verdict", "release_added"]))
    db.insert("INSERT OR REPLACE INTO prev_seeds VALUES (?, ?)",
              ((key_text((s, c, m)), added) for s, c, m, added in
               columns("seeds", ["seed_id", "crop_sha256", "mask_sha256", "release_added"])))
    return PreviousRelease(release, folder.changelog(), db)


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


def diff_releases(db: BuildDB, previous: PreviousRelease | None) -> ReleaseDiff:
    """Compare the rows written (table ``cur``) with the previous release's."""
    if previous is None:
        return ReleaseDiff(previous=None)
    return ReleaseDiff(
        previous=previous.release.version,
        added=[c for (c,) in db.rows("SELECT cid FROM cur WHERE verdict = 'accept' AND cid "
                                     "NOT IN (SELECT cid FROM prev_syn) ORDER BY cid")],
        removed=[c for (c,) in db.rows("SELECT cid FROM prev_syn WHERE cid NOT IN (SELECT cid "
                                       "FROM cur WHERE verdict = 'accept') ORDER BY cid")],
        changed=list(db.rows("SELECT c.cid, p.verdict, c.verdict FROM cur c JOIN prev p "
                             "USING (cid) WHERE p.verdict IS NOT c.verdict ORDER BY c.cid")),
        new_candidates=db.one("SELECT COUNT(*) FROM cur WHERE cid NOT IN "
                              "(SELECT cid FROM prev)"),
    )
