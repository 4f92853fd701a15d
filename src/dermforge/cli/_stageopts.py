"""Options shared by the stage commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer

from ..schemas import Record

__all__ = ["ConditionsOption", "CsvOption", "ParamsOption", "split_conditions"]

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
