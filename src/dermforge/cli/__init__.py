"""The `dermforge` command line: every pipeline stage is a subcommand."""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from ..errors import DermforgeError
from . import _schemas, _sources
from . import _prepare, _seeds, _splits
from . import _publish
from . import _curate, _release
from ._common import err

__all__ = ["app", "main"]

app = typer.Typer(
    name="dermforge",
    help="Build, version and validate synthetic dermatology datasets with full provenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(_schemas.app, name="schemas")
app.add_typer(_sources.app, name="sources")
app.command("publish")(_publish.publish_cmd)
app.add_typer(_seeds.app, name="seeds")
app.command("splits")(_splits.splits)
app.add_typer(_curate.app, name="curate")
_release.register(app)
app.command("prepare")(_prepare.prepare)


def main() -> None:
    """Entry point: run the app; a DermforgeError prints its message and exits 2."""
    try:
        app()
    except DermforgeError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)))
        sys.exit(2)
