"""`dermforge curate …`: the verdict log — status, spreadsheet round trip, demo policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .._params import load_section
from ..curation import (
    CurateParams,
    VerdictLog,
    create_policy,
    curation_status,
    export_csv,
    import_csv,
    list_policies,
    status_totals,
)
from ..schemas import Seed
from ..store import Workspace
from ._common import WorkspaceOption, out
from ._stageopts import ParamsOption

app = typer.Typer(help="Curation verdicts: status, CSV export/import, the demo's auto policy.",
                  no_args_is_help=True)

KeepOption = Annotated[
    int | None,
    typer.Option("--keep-per-seed", help="most accepted candidates per seed "
                 "(default: params curate.keep_per_seed, else 4)"),
]


def _log(workspace: Path, params: Path | None, keep: int | None) -> VerdictLog:
    section = load_section(params, "curate", CurateParams, {"keep_per_seed": keep})
    return VerdictLog(Workspace(workspace), keep_per_seed=section.keep_per_seed)


@app.command("status")
def status_cmd(
    workspace: WorkspaceOption,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Per seed: candidates, accepted, rejected, undecided."""
    log = VerdictLog(Workspace(workspace))
    lines = curation_status(log.candidates().values(), log.latest(),
                            log.workspace.manifest(Seed))
    totals = status_totals(lines)
    if as_json:
        typer.echo(json.dumps({"seeds": [s.as_dict() for s in lines], "totals": totals},
                              indent=2))
        return
    table = Table("seed", "condition", "group", "candidates", "accepted", "rejected",
                  "undecided")
    for s in lines:
        table.add_row(s.seed_id, s.condition or "?", s.group or "?", str(s.candidates),
                      str(s.accepted), str(s.rejected), str(s.undecided))
    out.print(table)
    out.print(", ".join(f"{v} {k}" for k, v in totals.items()))


@app.command("export")
def export_cmd(
    csv_path: Annotated[Path, typer.Argument(metavar="CSV", help="file to write")],
    workspace: WorkspaceOption,
) -> None:
    """Write one row per candidate with its current verdict, for a spreadsheet."""
    n = export_csv(Workspace(workspace), csv_path)
    out.print(f"{n} candidates written to {csv_path}")


@app.command("import")
def import_cmd(
    csv_path: Annotated[Path, typer.Argument(metavar="CSV", help="edited export")],
    workspace: WorkspaceOption,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="pseudonym for rows whose reviewer column is blank")] = None,
    keep_per_seed: KeepOption = None,
    params: ParamsOption = None,
) -> None:
    """Append the sheet's changed verdicts to the log (all rows or none)."""
    log = _log(workspace, params, keep_per_seed)
    result = import_csv(log, csv_path, default_reviewer=reviewer, now=datetime.now(UTC))
    out.print(f"{result.written} verdicts recorded, {result.unchanged} unchanged, "
              f"{result.blank} rows without a decision skipped")


@app.command("auto")
def auto_cmd(
    workspace: WorkspaceOption,
    policy: Annotated[str, typer.Option(
        "--policy", help=f"automatic policy, one of: {', '.join(list_policies())}")],
    keep_per_seed: KeepOption = None,
    params: ParamsOption = None,
) -> None:
    """DEMO ONLY: decide every candidate without a verdict by an automatic policy.

    Its verdicts carry the reviewer 'auto:<policy>', so every card and audit shows that no
    person reviewed them.
    """
    log = _log(workspace, params, keep_per_seed)
    verdicts = create_policy(policy)(log.candidates().values(), log.latest(), log.keep_per_seed)
    written = log.append(verdicts)
    accepted = sum(1 for v in verdicts if v.decision == "accept")
    out.print(f"policy auto:{policy} (automatic, not a human review): {written} verdicts "
              f"recorded ({accepted} accepted, {written - accepted} rejected)")
