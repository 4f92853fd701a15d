"""`dermforge sources …`: the Fitzpatrick 17k catalogue and its images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._choices import TableFormat
from ._common import (
    JsonOption,
    NewWorkspaceOption,
    err,
    out,
    print_json,
    progress_bars,
    say_cleaned,
)
from ._stageopts import ConditionsOption, CsvOption, split_conditions

if TYPE_CHECKING:
    from ..schemas import DownloadFailure, SourceImage
    from ..sources import DownloadReport, ImportReport

app = typer.Typer(help="The Fitzpatrick 17k source: catalogue, tables, images.",
                  no_args_is_help=True)


@app.command("table1")
def table1_cmd(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="text format")] = "md",
    as_json: JsonOption = False,
    csv: CsvOption = None,
) -> None:
    """Print the paper's Table 1 computed from the CSV."""
    from ..sources import load_catalog, table1

    table = table1(load_catalog(csv))
    typer.echo(table.render("json" if as_json else fmt), nl=False)


@app.command("summary")
def summary_cmd(csv: CsvOption = None, as_json: JsonOption = False) -> None:
    """Summarise the source CSV (rows, labels, skin types, known issues)."""
    from ..sources import load_catalog, summarize

    summary = summarize(load_catalog(csv))
    if as_json:
        print_json(summary)
        return
    for line in summary.lines():
        out.print(line)


@app.command("import")
def import_cmd(
    workspace: NewWorkspaceOption,
    folder: Annotated[Path | None, typer.Argument(help="folder of <md5hash>.jpg files")] = None,
    demo: Annotated[bool, typer.Option(
        "--demo", help="import the 48 real images bundled with dermforge")] = False,
    csv: CsvOption = None,
    condition: ConditionsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verify and store images from the authors' folder layout; print coverage.

    -c/--condition chooses the conditions of the coverage table (default: the paper's seven).
    """
    from .._paper import PAPER_CONDITIONS
    from ..errors import InputError
    from ..pipeline import run_import
    from ..sources import coverage_table, demo_images_dir, load_catalog

    if (folder is None) == (not demo):
        raise InputError("give either an image FOLDER or --demo (exactly one of them)",
                         fix="dermforge sources import FOLDER -w WS, or --demo -w WS")
    folder = demo_images_dir() if folder is None else folder
    catalog = load_catalog(csv)
    with progress_bars() as progress:
        run = run_import(workspace, folder, catalog=catalog, progress=progress)
    say_cleaned(run.cleaned)
    report, present = run.report, run.present
    conditions = split_conditions(condition) or PAPER_CONDITIONS
    coverage = coverage_table(catalog, present, conditions)
    missing = [c for c in conditions if not any(
        r.source_id in present for r in catalog.with_label([c]))]
    if as_json:
        print_json({"ok": report.ok, "report": report, "present": len(present),
                    "coverage": json.loads(coverage.to_json()), "missing_conditions": missing})
    else:
        _print_import(report)
        out.print()
        out.print(coverage.to_markdown())
        if missing:
            out.print(f"missing entirely (no image present): {', '.join(missing)}")
    if not report.ok:
        raise typer.Exit(code=1)


def _print_import(report: ImportReport) -> None:
    out.print(
        f"{len(report.verified):,} verified, {len(report.corrupted):,} corrupted, "
        f"{len(report.refused):,} refused, {len(report.imported):,} imported, "
        f"{len(report.already):,} already in the workspace, "
        f"{len(report.unknown):,} unknown files"
    )
    if report.verified and not report.imported and not report.refused:
        out.print("nothing new to import: every verified image is already in the workspace")
    for name, actual in report.corrupted:
        err.print(f"corrupted: {name} (md5 of its bytes is {actual}); not imported")
    for name, why in report.refused:
        err.print(f"refused: {name}: {why}; not imported")
    if report.refused:
        err.print("  fix: replace each refused file with the full, intact image (PNG, JPEG or "
                  "WebP, at least 64 px a side, at most 8192 x 8192), then import again")
    for name in report.unknown[:20]:
        out.print(f"unknown file (not <md5hash>.jpg of a CSV row): {name}")
    if len(report.unknown) > 20:
        out.print(f"… and {len(report.unknown) - 20} more unknown files")


#: DownloadOptions' defaults, repeated so that `--help` needs no import of the library
#: (tests/foundation/test_cli_vocabulary.py checks they agree)
DOWNLOAD_DEFAULTS: dict[str, Any] = {"concurrency": 4, "requests_per_second": 4.0,
                                     "retries": 3, "timeout": 30.0, "backoff": 1.0}


@app.command("download")
def download_cmd(
    workspace: NewWorkspaceOption,
    condition: ConditionsOption = None,
    csv: CsvOption = None,
    concurrency: Annotated[int, typer.Option(
        help="downloads in flight at once")] = DOWNLOAD_DEFAULTS["concurrency"],
    requests_per_second: Annotated[float, typer.Option(
        "--requests-per-second", help="most requests per second, all hosts together "
        "(retries included)")] = DOWNLOAD_DEFAULTS["requests_per_second"],
    retries: Annotated[int, typer.Option(
        help="further attempts after a transient error")] = DOWNLOAD_DEFAULTS["retries"],
    timeout: Annotated[float, typer.Option(
        help="seconds one attempt may take in all")] = DOWNLOAD_DEFAULTS["timeout"],
    backoff: Annotated[float, typer.Option(
        help="first wait before a retry, seconds (doubles)")] = DOWNLOAD_DEFAULTS["backoff"],
    as_json: JsonOption = False,
) -> None:
    """Download images by the CSV's url, md5-verify and store them; record failures.

    -c/--condition chooses the conditions to download (default: the paper's seven).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ..pipeline import run_download
    from ..schemas import DownloadFailure
    from ..sources import DownloadOptions, load_catalog, select_rows
    from ..store import Workspace

    options = DownloadOptions(concurrency=concurrency, requests_per_second=requests_per_second,
                              retries=retries, timeout=timeout, backoff=backoff)
    rows = select_rows(load_catalog(csv), list(split_conditions(condition) or ()) or None)
    ws = Workspace(workspace)
    failures_path = str(ws.manifest(DownloadFailure).path)
    progress = Progress(TextColumn("downloading"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                        console=err, transient=True)
    task = progress.add_task("download", total=None, failed=0)
    failed = 0
    log = err if as_json else out

    def on_start(plan: DownloadReport) -> None:
        log.print(f"{plan.selected:,} rows selected; {len(plan.already):,} already in the "
                  f"workspace; fetching {plan.pending:,}")
        if plan.retried:
            log.print(f"retrying {len(plan.retried):,} earlier failure(s) from {failures_path}")
        progress.update(task, total=plan.pending)
        progress.start()

    def on_result(_row: SourceImage, failure: DownloadFailure | None) -> None:
        nonlocal failed
        failed += failure is not None
        progress.update(task, advance=1, failed=failed)

    try:
        run = run_download(ws, rows, options, on_start=on_start, on_result=on_result)
    finally:
        progress.stop()
    say_cleaned(run.cleaned)
    report = run.report
    if as_json:
        print_json({"ok": report.ok, "report": report,
                    "failed_by_kind": report.failed_by_kind(), "failures_file": failures_path})
    else:
        _print_download(report, failures_path)
    if not report.ok:
        raise typer.Exit(code=1)


def _print_download(report: DownloadReport, failures_path: str) -> None:
    for failure in report.failed[:20]:
        status = f" {failure.status_code}" if failure.status_code is not None else ""
        err.print(f"failed: {failure.source_id} [{failure.kind}{status}] {failure.url or '-'}: "
                  f"{failure.message} ({failure.attempts} attempt(s))")
    if len(report.failed) > 20:
        err.print(f"… and {len(report.failed) - 20:,} more failures")
    if report.retried:
        out.print(f"{len(report.recovered):,} of {len(report.retried):,} earlier failure(s) "
                  "downloaded now")
    if report.failed:
        out.print(f"failure records: {failures_path} (a later run retries them)")
    out.print(report.summary())
