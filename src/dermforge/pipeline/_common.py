"""What every stage does around its work: one run at a time per workspace, and clean up what
a killed run of the same stage left."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from ..errors import InputError
from ..schemas import Record
from ..store import Workspace

__all__ = ["Progress", "StageRun", "as_workspace", "stage"]

R = TypeVar("R", bound=Record)

#: progress of a long step: (what, done, total or None when unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass
class StageRun:
    """What every stage reports: leftovers of a killed run it removed, manifests it wrote
    (path → True if the file changed)."""

    cleaned: list[Path] = field(default_factory=list)
    written: dict[Path, bool] = field(default_factory=dict)


def as_workspace(workspace: Workspace | Path | str, *, create: bool = False) -> Workspace:
    """The workspace a stage works in. Only the stages that fill a workspace with source
    images (import, download) ``create`` it; every other stage needs an existing one and
    raises MissingInputError (naming the path) when there is none."""
    root = workspace.root if isinstance(workspace, Workspace) else Path(workspace)
    if create:
        return (workspace if isinstance(workspace, Workspace) else Workspace(root)).create()
    opened = Workspace.open(root)
    return workspace if isinstance(workspace, Workspace) else opened


@contextlib.contextmanager
def stage(workspace: Workspace, name: str, outputs: Sequence[type[Record]] = (),
          layer: str | None = None) -> Iterator[list[Path]]:
    """Hold the workspace's lock of stage ``name`` (a second run of the same stage on the
    same workspace is refused) and yield the leftovers of a killed run that were removed:
    temp files of the stage's manifests ``outputs`` and of its blob ``layer``."""
    workspace.create()
    path = workspace.records_dir / f".stage-{name}.lock"
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(f"another `dermforge {name}` is running on {workspace.root} "
                         f"(it holds {path})", fix="wait for it to finish") from None
    try:
        cleaned = [p for model in outputs for p in workspace.manifest(model).clean_leftovers()]
        if layer is not None:
            cleaned += workspace.blobs.clean_partial(layer)
        yield cleaned
    finally:
        lock.release()
