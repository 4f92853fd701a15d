"""`dermforge curate reviewers|assign|agreement`: a team of reviewers — profiles with their
own tokens, balanced assignments, and their agreement. The library does the work."""

from __future__ import annotations

from typing import Annotated

import typer

from ._choices import QualificationChoice
from ._common import JsonOption, WorkspaceOption, existing_workspace, out, print_json

reviewers_app = typer.Typer(help="Reviewer profiles: add (prints the reviewer's token once), "
                            "revoke, list.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="the reviewer's pseudonym")]


@reviewers_app.command("add")
def add_cmd(
    name: NameArgument,
    workspace: WorkspaceOption,
    qualification: Annotated[QualificationChoice, typer.Option(
        "--qualification", help="what the reviewer states about themselves")],
    adjudicator: Annotated[bool, typer.Option(
        "--adjudicator", help="may settle disagreements (/adjudicate); not assigned")] = False,
    as_json: JsonOption = False,
) -> None:
    """Add a profile to records/reviewers.jsonl and print its token ONCE (only its sha256 is
    stored): give it to the reviewer, who opens the workbench with ?token=…"""
    from ..curation import add_reviewer

    reviewer, token = add_reviewer(existing_workspace(workspace), name, qualification,
                                   adjudicator=adjudicator)
    if as_json:
        print_json({**reviewer.as_dict(), "token": token})
        return
    out.print(f"reviewer {reviewer.name!r} ({reviewer.qualification}, {reviewer.role}) added")
    out.print(f"token (shown only now; give it to {reviewer.name} privately): {token}")


@reviewers_app.command("revoke")
def revoke_cmd(name: NameArgument, workspace: WorkspaceOption,
               as_json: JsonOption = False) -> None:
    """End a reviewer's token (their verdicts stay); the workbench answers it with 403."""
    from ..curation import revoke_reviewer

    reviewer = revoke_reviewer(existing_workspace(workspace), name)
    if as_json:
        print_json(reviewer.as_dict())
        return
    out.print(f"reviewer {reviewer.name!r}: token revoked")


@reviewers_app.command("list")
def list_cmd(workspace: WorkspaceOption, as_json: JsonOption = False) -> None:
    """Every profile: name, qualification, role, added, revoked (never a token)."""
    from rich.table import Table

    from ..curation import read_reviewers

    book = read_reviewers(existing_workspace(workspace))
    rows = [r.as_dict() for r in book.reviewers.values()]
    if as_json:
        print_json({"reviewers": rows})
        return
    table = Table("name", "qualification", "role", "added", "revoked")
    for row in rows:
        table.add_row(*(str(row[k] or "") for k in ("name", "qualification", "role",
                                                    "added_at", "revoked_at")))
    out.print(table)


def assign_cmd(
    workspace: WorkspaceOption,
    reviewers: Annotated[str, typer.Option(
        "--reviewers", help="comma-separated names of reviewer profiles, e.g. a,b,c")],
    per_candidate: Annotated[int, typer.Option(
        "--per-candidate", help="reviewers per candidate (at most the number listed)")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Assign every candidate without an assignment to --per-candidate of the reviewers
    (balanced, deterministic); writes records/assignments.jsonl."""
    from ..curation import assign

    names = [n.strip() for n in reviewers.split(",") if n.strip()]
    run = assign(existing_workspace(workspace), names, per_candidate)
    if as_json:
        print_json({"path": run.path, "assigned": run.candidates, "already": run.already,
                    "load": run.load})
        return
    loads = ", ".join(f"{k} {v}" for k, v in run.load.items())
    out.print(f"{run.candidates} candidates assigned ({loads}) in {run.path}; "
              f"{run.already} already had reviewers")


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def agreement_cmd(workspace: WorkspaceOption, as_json: JsonOption = False) -> None:
    """Krippendorff's alpha (nominal) overall and per condition × skin-type group, pairwise
    Cohen's kappa, and counts, over people's reviewer verdicts (not the policy's, not
    adjudicators')."""
    from rich.table import Table

    from ..curation import agreement

    result = agreement(existing_workspace(workspace))
    if as_json:
        print_json(result.as_dict())
        return
    out.print(f"Krippendorff's alpha (nominal): {_number(result.alpha)} over "
              f"{result.rated_twice} candidates with at least two reviewers' verdicts; "
              f"{result.disagreements} disagreements, {result.adjudicated} adjudicated")
    cells = Table("condition", "skin-type group", "candidates", "alpha")
    for c in result.cells:
        cells.add_row(c.condition, c.fst_group, str(c.candidates), _number(c.alpha))
    out.print(cells)
    pairs = Table("reviewer", "reviewer", "candidates", "Cohen's kappa")
    for p in result.kappa:
        pairs.add_row(p.a, p.b, str(p.candidates), _number(p.kappa))
    out.print(pairs)
