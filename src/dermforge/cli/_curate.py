"""`dermforge curate …`: the verdict logs — status, spreadsheet round trip, the demo policy,
and the migration of an old mixed log. The work is done by library functions; this prints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._choices import Policy
from ._common import (
    JsonOption,
    WorkspaceOption,
    existing_workspace,
    out,
    print_json,
    say_cleaned,
)
from ._stageopts import ParamsOption

if TYPE_CHECKING:
    from ..curation import CurateParams

app = typer.Typer(help="Curation verdicts: status, CSV export/import, the demo's auto policy.",
                  no_args_is_help=True)

KeepOption = Annotated[
    int | None,
    typer.Option("--keep-per-seed", help="most accepted candidates per seed "
                 "(default: params curate.keep_per_seed, else 4)"),
]


def _section(params: Path | None, keep: int | None) -> CurateParams:
    from .._params import load_section
    from ..curation import CurateParams

    return load_section(params, "curate", CurateParams, {"keep_per_seed": keep})


@app.command("status")
def status_cmd(workspace: WorkspaceOption, params: ParamsOption = None,
               as_json: JsonOption = False) -> None:
    """Per seed: candidates, accepted, rejected, undecided (final decisions by the rule of
    params curate.rule)."""
    from rich.table import Table

    from ..curation import VerdictLog, curation_status, status_totals
    from ..schemas import Seed

    log = VerdictLog(existing_workspace(workspace), rule=_section(params, None).rule)
    lines = curation_status(log.candidates().values(), log.latest(),
                            log.workspace.manifest(Seed))
    totals = status_totals(lines)
    if as_json:
        print_json({"seeds": [s.as_dict() for s in lines], "totals": totals})
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
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="write this reviewer's own sheet: their assigned candidates "
        "only, with their own verdicts only (no one else's decisions)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write one row per candidate for a spreadsheet: people's latest verdict in the columns
    decision … note, the automatic policy's in the read-only auto_decision/auto_reviewer."""
    from ..curation import export_csv

    n = export_csv(existing_workspace(workspace), csv_path, reviewer=reviewer)
    if as_json:
        print_json({"candidates": n, "path": csv_path})
        return
    out.print(f"{n} candidates written to {csv_path}")


@app.command("import")
def import_cmd(
    csv_path: Annotated[Path, typer.Argument(metavar="CSV", help="edited export")],
    workspace: WorkspaceOption,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="pseudonym for rows whose reviewer column is blank; a name with "
        "a reviewer profile imports that reviewer's own sheet (every row theirs, only their "
        "assigned candidates)")] = None,
    keep_per_seed: KeepOption = None,
    params: ParamsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Append the sheet's changed verdicts to the human log (all rows or none), dated now."""
    from ..curation import VerdictLog, import_csv

    section = _section(params, keep_per_seed)
    log = VerdictLog(existing_workspace(workspace), keep_per_seed=section.keep_per_seed,
                     rule=section.rule)
    result = import_csv(log, csv_path, default_reviewer=reviewer, now=datetime.now(UTC))
    say_cleaned(result.cleaned)
    if as_json:
        print_json({"written": result.written, "unchanged": result.unchanged,
                    "blank": result.blank, "verdicts": result.verdicts})
        return
    out.print(f"{result.written} verdicts recorded, {result.unchanged} unchanged, "
              f"{result.blank} rows without a decision skipped")


@app.command("auto")
def auto_cmd(
    workspace: WorkspaceOption,
    policy: Annotated[Policy | None, typer.Option(
        "--policy", help="automatic policy (default: params curate.policy)")] = None,
    keep_per_seed: KeepOption = None,
    params: ParamsOption = None,
    as_json: JsonOption = False,
) -> None:
    """DEMO ONLY: decide every candidate no person judged by an automatic policy.

    Rewrites records/auto_verdicts.jsonl (never the human log); its verdicts carry the
    reviewer 'auto:<policy>', so every card and audit shows that no person reviewed them.
    """
    from ..pipeline import run_curate

    run = run_curate(workspace, _section(params, keep_per_seed), policy=policy)
    say_cleaned(run.cleaned)
    if as_json:
        print_json({"reviewer": run.reviewer, "path": run.path, "verdicts": run.verdicts,
                    "accepted": run.accepted, "rejected": run.rejected,
                    "judged_by_people": run.judged_by_people, "changed": run.changed})
        return
    state = "written" if run.changed else "unchanged"
    out.print(f"policy {run.reviewer} (automatic, not a human review): {run.verdicts} "
              f"verdicts ({run.accepted} accepted, {run.rejected} rejected) in {run.path} "
              f"({state}); {run.judged_by_people} candidates judged by people left to them")


@app.command("migrate")
def migrate_cmd(workspace: WorkspaceOption, as_json: JsonOption = False) -> None:
    """Move the automatic ('auto:') verdicts of an old mixed records/verdicts.jsonl to
    records/auto_verdicts.jsonl, keeping a byte-exact backup; nothing is lost."""
    from ..curation import migrate_verdicts

    result = migrate_verdicts(existing_workspace(workspace))
    say_cleaned(result.cleaned)
    if as_json:
        print_json({k: v for k, v in vars(result).items() if k != "cleaned"})
        return
    if not result.moved:
        out.print(f"nothing to migrate: {result.human_path} holds no automatic verdict "
                  f"({result.kept} verdicts of people)")
        return
    out.print(f"moved {result.moved} automatic verdicts (in their order) to "
              f"{result.auto_path}; {result.kept} verdicts of people stay in "
              f"{result.human_path}; the old file is kept as {result.backup}")
    for cid in result.changed:
        out.print(f"note: candidate {cid} now counts a person's verdict over a later "
                  "automatic one (a person's verdict always outranks the policy's)")
