"""Options and helpers shared by the seeds, splits and prepare commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer

from ..errors import RecordError
from ..schemas import Record, SourceImage
from ..store import Manifest, Workspace

__all__ = [
    "ConditionsOption",
    "CsvOption",
    "ParamsOption",
    "present_ids",
    "replace_records",
    "split_conditions",
]

R = TypeVar("R", bound=Record)

ParamsOption = Annotated[
    Path | None,
    typer.Option("--params", help="params file (default: ./params.yaml if present, "
                 "else built-in defaults)"),
]
ConditionsOption = Annotated[
    list[str] | None,
    typer.Option("--conditions", help="condition labels, comma-separated or repeated; "
                 "overrides the params file"),
]
CsvOption = Annotated[
    Path | None,
    typer.Option("--csv", help="a Fitzpatrick 17k CSV to use instead of the bundled copy"),
]


def split_conditions(values: list[str] | None) -> tuple[str, ...] | None:
    """``["a,b", "c"]`` → ``("a", "b", "c")``; None when the option was not given."""
    if not values:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def present_ids(workspace: Workspace) -> set[str]:
    return {row.source_id for row in workspace.manifest(SourceImage)}


def replace_records(manifest: Manifest[R], records: list[R]) -> bool:
    """Rewrite the manifest with ``records`` unless it already holds exactly them.

    Returns True when the file changed. A manifest that no longer validates is replaced.
    """
    if manifest.exists():
        try:
            if manifest.read() == records:
                return False
        except RecordError:
            pass
    manifest.rewrite(records)
    return True
