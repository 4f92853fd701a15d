"""Helpers shared by the CLI modules: consoles, common options, progress bars, JSON output,
and what every stage prints about itself.

The CLI imports the library only inside the command that runs (``dermforge --help`` loads no
pydantic, pandas or ``datasets``); keep module-level imports here to typer and rich's console.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from ..pipeline import Progress as ProgressCallback
    from ..store import Workspace

__all__ = [
    "JsonOption",
    "NewWorkspaceOption",
    "ReleaseArgument",
    "WorkspaceOption",
    "err",
    "existing_workspace",
    "jsonable",
    "out",
    "print_json",
    "progress_bars",
    "say_cleaned",
    "say_written",
]

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

WorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="workspace folder (must exist: `dermforge sources "
                 "import` creates one)"),
]
NewWorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="workspace folder (created if missing)"),
]
ReleaseArgument = Annotated[
    Path,
    typer.Argument(metavar="RELEASE", help="release folder (written by `dermforge build`)"),
]
JsonOption = Annotated[
    bool,
    typer.Option("--json", help="print one JSON object on stdout for scripts (messages go to "
                 "stderr)"),
]


def existing_workspace(root: Path) -> Workspace:
    """The existing workspace at ``root`` (MissingInputError, exit 2, when there is none)."""
    from ..store import Workspace

    return Workspace.open(root)


def jsonable(value: Any) -> Any:
    """``value`` as JSON types: dataclasses and pydantic models as objects, paths and times
    as strings, sets and tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path | datetime | date):
        return str(value) if isinstance(value, Path) else value.isoformat()
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as one indented JSON document on stdout."""
    typer.echo(json.dumps(jsonable(value), indent=2, ensure_ascii=False))


@contextlib.contextmanager
def progress_bars() -> Iterator[ProgressCallback]:
    """A progress callback for a pipeline stage: one bar per step it reports (on stderr)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    tasks: dict[str, TaskID] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bars:
        def update(what: str, done: int, total: int | None) -> None:
            if what not in tasks:
                tasks[what] = bars.add_task(what, total=total)
            bars.update(tasks[what], completed=done, total=total)

        yield update


def say_cleaned(cleaned: Sequence[Path]) -> None:
    """Say which leftovers of a killed earlier run (temp files) this run removed."""
    for path in cleaned:
        err.print(f"removed {path} (left by a killed earlier run)")


def say_written(written: dict[Path, bool]) -> None:
    for path, changed in written.items():
        out.print(f"{'wrote' if changed else 'unchanged:'} {path}")
