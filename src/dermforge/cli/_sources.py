"""`dermforge sources …`: the Fitzpatrick 17k catalogue and its images."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .._paper import PAPER_CONDITIONS
from ..schemas import SourceImage
from ..sources import ImportReport, coverage_table, import_folder, load_catalog, summarize, table1
from ..store import Workspace
from ._common import WorkspaceOption, err, out

app = typer.Typer(help="The Fitzpatrick 17k source: catalogue, tables, images.",
                  no_args_is_help=True)

CsvOption = Annotated[
    Path | None,
    typer.Option("--csv", help="a Fitzpatrick 17k CSV to use instead of the bundled copy"),
]
ConditionsOption = Annotated[
    list[str] | None,
    typer.Option("--condition", "-c",
                 help="condition label (repeatable); default: the paper's seven"),
]


class TableFormat(StrEnum):
    md = "md"
    csv = "csv"
    json = "json"


@app.command("table1")
def table1_cmd(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.md,
    csv: CsvOption = None,
) -> None:
    """Print the paper's Table 1 computed from the CSV."""
    table = table1(load_catalog(csv))
    typer.echo(table.render(fmt.value), nl=False)


@app.command("summary")
def summary_cmd(csv: CsvOption = None) -> None:
    """Summarise the source CSV (rows, labels, skin types, known issues)."""
    for line in summarize(load_catalog(csv)).lines():
        out.print(line)


@app.command("import")
def import_cmd(
    folder: Annotated[Path, typer.Argument(help="folder of <md5hash>.jpg files")],
    workspace: WorkspaceOption,
    csv: CsvOption = None,
    condition: ConditionsOption = None,
) -> None:
    """Verify and store images from the authors' folder layout; print coverage."""
    catalog = load_catalog(csv)
    ws = Workspace(workspace)
    total = sum(1 for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task("import", total=total)
        report = import_folder(folder, ws, catalog, on_file=lambda _n: progress.advance(task))
    _print_import(report)
    present = {row.source_id for row in ws.manifest(SourceImage)}
    conditions = tuple(condition) if condition else PAPER_CONDITIONS
    out.print()
    out.print(coverage_table(catalog, present, conditions).to_markdown())
    missing = [c for c in conditions if not any(
        r.source_id in present for r in catalog.with_label([c]))]
    if missing:
        out.print(f"missing entirely (no image present): {', '.join(missing)}")
    if not report.ok:
        raise typer.Exit(code=1)


def _print_import(report: ImportReport) -> None:
    out.print(
        f"{len(report.verified):,} verified, {len(report.corrupted):,} corrupted, "
        f"{len(report.imported):,} imported, {len(report.already):,} already in the workspace, "
        f"{len(report.unknown):,} unknown files"
    )
    if report.verified and not report.imported:
        out.print("nothing new to import: every verified image is already in the workspace")
    for name, actual in report.corrupted:
        err.print(f"corrupted: {name} (md5 of its bytes is {actual}); not imported")
    for name, why in report.unreadable:
        err.print(f"unreadable: {name} ({why}); not imported")
    for name in report.unknown[:20]:
        out.print(f"unknown file (not <md5hash>.jpg of a CSV row): {name}")
    if len(report.unknown) > 20:
        out.print(f"… and {len(report.unknown) - 20} more unknown files")
