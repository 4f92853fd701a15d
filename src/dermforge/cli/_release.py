"""`dermforge build | verify | audit`: versioned release folders and their integrity."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .._params import load_section
from ..builder import BuildParams, audit_image, build_release, render_audit, verify_release
from ..curation import CurateParams
from ..errors import InputError
from ..store import Workspace
from ._common import WorkspaceOption, err, out
from ._stageopts import ParamsOption

__all__ = ["audit", "build", "register", "verify"]



def _progress(label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


def build(
    workspace: WorkspaceOption,
    out_dir: Annotated[Path, typer.Option("--out", help="release folder to create (must not "
                                          "exist)")],
    version: Annotated[str | None, typer.Option(
        "--version", help="semantic version X.Y.Z (default: params build.version)")] = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", help="the previous release folder, to diff against")] = None,
    created: Annotated[str | None, typer.Option(
        "--created", help="release time, ISO 8601 with zone (default: $SOURCE_DATE_EPOCH, "
        "else the newest verdict)")] = None,
    git_revision: Annotated[str | None, typer.Option(
        "--git-revision", help="code revision to record in release.json")] = None,
    params: ParamsOption = None,
) -> None:
    """Build a versioned dataset folder that `datasets.load_dataset` loads."""
    when = None
    if created is not None:
        try:
            when = datetime.fromisoformat(created)
        except ValueError:
            raise InputError(f"--created {created!r} is not an ISO 8601 time",
                             fix="e.g. --created 2026-01-31T12:00:00+00:00") from None
    build_params = load_section(params, "build", BuildParams)
    curate_params = load_section(params, "curate", CurateParams)
    version = version or build_params.version
    if version is None:
        raise InputError("no release version: pass --version X.Y.Z or set build.version in "
                         "params.yaml", fix="e.g. --version 1.0.0")
    with _progress("building") as bar:
        task = bar.add_task("build", total=None)
        result = build_release(
            Workspace(workspace), version=version, out=out_dir, previous=previous,
            created=when, params=build_params, curate=curate_params,
            git_revision=git_revision,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    release = result.release
    counts = ", ".join(f"{release.counts[k]} {k}" for k in
                       ("synthetic", "candidates", "seeds", "splits"))
    out.print(f"{release.name} {release.version}: {counts}")
    for line in release.changelog[:10]:
        out.print(f"  {line}")
    out.print(f"release: {result.path}")


def verify(
    release_dir: Annotated[Path, typer.Argument(metavar="DIR", help="release folder")],
) -> None:
    """Re-hash every file and every image; exit 1 naming whatever changed."""
    with _progress("verifying") as bar:
        task = bar.add_task("verify", total=None)
        report = verify_release(release_dir, on_file=lambda _f: bar.advance(task))
    if report.ok:
        out.print(f"OK: {report.files} files match MANIFEST.json; {report.images} images in "
                  f"{report.rows} rows match their sha256")
        return
    for problem in report.problems:
        err.print(f"changed: {problem}")
    err.print(f"{len(report.problems)} problem(s) in {release_dir}")
    raise typer.Exit(code=1)


def audit(
    release_dir: Annotated[Path, typer.Argument(metavar="DIR", help="release folder")],
    image_id: Annotated[str, typer.Argument(metavar="IMAGE_ID", help="an image_id (candidate "
                                            "id)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print an image's whole lineage, from the release folder alone."""
    lineage = audit_image(release_dir, image_id)
    if as_json:
        typer.echo(json.dumps(lineage, indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(render_audit(lineage), nl=False)


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("verify")(verify)
    app.command("audit")(audit)
