"""``dermforge curate migrate``: split a workspace's one mixed verdict log in two.

Before the human and automatic logs were separate, ``curate auto`` appended its ``auto:``
verdicts to ``records/verdicts.jsonl``. The migration moves those lines, in their order, to
the end of ``records/auto_verdicts.jsonl`` and rewrites the human log without them. The old
file is first copied byte for byte next to it (``verdicts.jsonl.pre-migrate-<sha>.bak``);
each file is replaced atomically, under the lock every verdict writer takes. A run killed
between the two rewrites is finished by running it again (lines already moved are not moved
twice); a workspace with nothing to move is left as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._atomic import atomic_write_bytes
from ..schemas import CurationVerdict
from ..store import Workspace
from ._human import is_automatic
from ._log import VerdictLog, latest_verdicts, merge_latest, read_log

__all__ = ["Migration", "migrate_verdicts"]


@dataclass(frozen=True)
class Migration:
    """What the migration did. ``changed`` lists candidates whose counting verdict differs
    after the split (a person's verdict now outranks a later automatic one); normally none."""

    human_path: Path
    auto_path: Path
    backup: Path | None
    moved: int
    kept: int
    changed: tuple[str, ...]
    cleaned: tuple[Path, ...]


def migrate_verdicts(workspace: Workspace) -> Migration:
    """Move every ``auto:`` verdict of the human log to the automatic log (see module doc)."""
    log = VerdictLog(workspace)
    cleaned = tuple(log.manifest.clean_leftovers() + log.auto_manifest.clean_leftovers())
    with log.locked():
        mixed = log.manifest.read()
        moved = [v for v in mixed if is_automatic(v.reviewer)]
        kept = [v for v in mixed if not is_automatic(v.reviewer)]
        if not moved:
            return Migration(log.path, log.auto_path, None, 0, len(kept), (), cleaned)
        existing = read_log(log.auto_manifest, automatic=True)
        automatic = existing if _ends_with(existing, moved) else [*existing, *moved]
        before = latest_verdicts([*existing, *mixed])
        after = merge_latest(latest_verdicts(kept), latest_verdicts(automatic))
        changed = tuple(sorted(c for c in before.keys() | after.keys()
                               if before.get(c) != after.get(c)))
        backup = _backup(log.path)
        log.auto_manifest.rewrite(automatic)
        log.manifest.rewrite(kept)
    return Migration(log.path, log.auto_path, backup, len(moved), len(kept), changed, cleaned)


def _ends_with(verdicts: Sequence[CurationVerdict], tail: Sequence[CurationVerdict]) -> bool:
    return len(verdicts) >= len(tail) and list(verdicts[len(verdicts) - len(tail):]) == list(tail)


def _backup(path: Path) -> Path:
    data = path.read_bytes()
    backup = path.with_name(f"{path.name}.pre-migrate-{hashlib.sha256(data).hexdigest()[:12]}.bak")
    if not backup.exists() or backup.read_bytes() != data:
        atomic_write_bytes(backup, data)
    return backup
