"""Options shared by the stage commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["ConditionsOption", "CsvOption", "ParamsOption", "split_conditions"]

ParamsOption = Annotated[
    Path | None,
    typer.Option("--params", help="params file (default: ./params.yaml if present, "
                 "else built-in defaults)"),
]
#: every command that takes conditions takes them so: -c A -c B, or -c A,B
ConditionsOption = Annotated[
    list[str] | None,
    typer.Option("--condition", "-c", help="condition label; repeat it or separate labels "
                 "with commas (default: the params file, else the paper's)"),
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
