"""Helpers shared by the CLI modules: consoles, common options, progress bars, and what
every stage prints about itself."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ..pipeline import Progress as ProgressCallback

__all__ = ["WorkspaceOption", "err", "out", "progress_bars", "say_cleaned", "say_written"]

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

WorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="workspace folder (created if missing)"),
]


@contextlib.contextmanager
def progress_bars() -> Iterator[ProgressCallback]:
    """A progress callback for a pipeline stage: one bar per step it reports."""
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
