"""The `dermforge` command line: every pipeline stage is a subcommand."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.text import Text
from typer import _click
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from ..errors import DermforgeError
from . import (
    _attach,
    _curate,
    _evaluate,
    _generate,
    _prepare,
    _publish,
    _release,
    _schemas,
    _seeds,
    _sign,
    _signals,
    _sources,
    _splits,
    _team,
    _workbench,
)
from ._common import err
from ._renamed import renamed_hint

__all__ = ["app", "main"]


def _report(exc: DermforgeError) -> None:
    err.print(Text.assemble(("error: ", "bold red"), str(exc)))


class _Root(TyperGroup):
    """The root command: a DermforgeError anywhere prints its message (never a traceback)
    and exits with its ``exit_code``, also under typer's test runner; an old option name
    is a usage error that names the new one."""

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DermforgeError as exc:
            _report(exc)
            raise typer.Exit(code=exc.exit_code) from None
        except UsageError as exc:
            hint = renamed_hint(exc)
            if hint is None:
                raise
            raise UsageError(hint, ctx=exc.ctx) from None


app = typer.Typer(
    cls=_Root,
    name="dermforge",
    help="Build, version and validate synthetic dermatology datasets with full provenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"dermforge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="print dermforge's version and exit")] = False,
) -> None:
    """Build, version and validate synthetic dermatology datasets with full provenance."""


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
_curate.app.add_typer(_team.reviewers_app, name="reviewers")
_curate.app.command("assign")(_team.assign_cmd)
_curate.app.command("agreement")(_team.agreement_cmd)
_release.register(app)  # build, verify, audit
app.command("evaluate")(_evaluate.evaluate)
app.command("attach")(_attach.attach)
app.command("sign")(_sign.sign)
app.command("demo-keys")(_sign.demo_keys)
app.command("publish")(_publish.publish_cmd)
app.add_typer(_schemas.app, name="schemas")


def main() -> None:
    """Entry point: run the app; a DermforgeError prints its message and exits with its
    ``exit_code`` (1: the thing checked is bad or the work failed; 2: usage or input)."""
    try:
        app()
    except DermforgeError as exc:
        _report(exc)
        sys.exit(exc.exit_code)
