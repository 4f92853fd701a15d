"""The `dermforge` command line: every pipeline stage is a subcommand."""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from ..errors import DermforgeError
from ..store import blob_layer
from . import (
    _curate,
    _evaluate,
    _generate,
    _prepare,
    _publish,
    _release,
    _schemas,
    _seeds,
    _signals,
    _sources,
    _splits,
    _workbench,
)
from ._common import err

__all__ = ["app", "main"]

app = typer.Typer(
    name="dermforge",
    help="Build, version and validate synthetic dermatology datasets with full provenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _stage_layer(ctx: typer.Context) -> None:
    """Each stage writes its blobs into its own layer, so DVC can track them per stage."""
    if ctx.invoked_subcommand:
        ctx.with_resource(blob_layer(ctx.invoked_subcommand.replace("-", "_")))


# in pipeline order, as `dermforge --help` lists them
app.add_typer(_sources.app, name="sources")
app.add_typer(_seeds.app, name="seeds")
app.command("splits")(_splits.splits)
app.command("prepare")(_prepare.prepare)
app.command("generate")(_generate.generate_cmd)
app.add_typer(_curate.app, name="curate")
_curate.app.command("signals")(_signals.signals)
_curate.app.command("serve")(_workbench.serve)
_curate.app.command("study-report")(_workbench.study_report_cmd)
_release.register(app)  # build, verify, audit
app.command("evaluate")(_evaluate.evaluate)
app.command("publish")(_publish.publish_cmd)
app.add_typer(_schemas.app, name="schemas")


def main() -> None:
    """Entry point: run the app; a DermforgeError prints its message and exits 2."""
    try:
        app()
    except DermforgeError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)))
        sys.exit(2)
