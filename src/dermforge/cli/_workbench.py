"""`dermforge curate serve` (the curation workbench, or the reader study with --study) and
`dermforge curate study-report`."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import (
    JsonOption,
    WorkspaceOption,
    existing_workspace,
    out,
    print_json,
    say_cleaned,
)
from ._stageopts import ParamsOption

__all__ = ["serve", "study_report_cmd"]


def serve(
    workspace: WorkspaceOption,
    host: Annotated[str, typer.Option(
        "--host", help="address to listen on; anything but loopback requires the printed "
        "token")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0: a free one)")] = 8765,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="default reviewer name (the page asks when not given)")] = None,
    study: Annotated[bool, typer.Option(
        "--study", help="run the blinded reader study instead of curation")] = False,
    keep_per_seed: Annotated[int | None, typer.Option(
        "--keep-per-seed", help="most accepted candidates per seed (default: params "
        "curate.keep_per_seed, else 4)")] = None,
    params: ParamsOption = None,
) -> None:
    """Serve the curation workbench (a local web app), or the reader study with --study.

    One page per seed: the crop with its mask, the prompt, the candidates with their signals;
    accept or reject by keyboard or click. Every decision is appended to the human log,
    records/verdicts.jsonl, at once.
    """
    from .._params import load_section
    from ..curation import CurateParams
    from ..errors import MissingExtraError

    try:
        from ..workbench import (
            WorkbenchConfig,
            bind,
            create_app,
            needs_token,
            new_token,
            open_workspace,
            run,
            url_of,
        )
    except ImportError as exc:
        raise MissingExtraError(exc.name or "fastapi", "ui") from None
    section = load_section(params, "curate", CurateParams, {"keep_per_seed": keep_per_seed})
    ws = existing_workspace(workspace)
    opened = open_workspace(ws, section.keep_per_seed)
    say_cleaned(opened.cleaned)
    missing = opened.without_signals
    token = new_token() if needs_token(host) else None
    app = create_app(WorkbenchConfig(workspace=ws, keep_per_seed=section.keep_per_seed,
                                     reviewer=reviewer, token=token, study=study,
                                     rule=section.rule))
    sock = bind(host, port)
    mode = "reader study" if study else "curation workbench"
    out.print(f"dermforge {mode} for {ws.root}")
    out.print(f"open {url_of(sock, host, token)}")
    if token:
        out.print(f"listening on {host}, not loopback: every request needs this run's token "
                  "(in the URL above; a new one at every start)")
    if missing and not study:
        out.print(f"note: {missing} candidates have no signals yet; run "
                  f"`dermforge curate signals -w {ws.root}` to see them in the pages")
    out.print("stop with Ctrl+C")
    run(app, sock)


def study_report_cmd(
    workspace: WorkspaceOption,
    as_json: JsonOption = False,
) -> None:
    """Reader-study accuracy (real vs synthetic) with 95% intervals.

    Overall, per truth (real crops, synthetic images) and per reader; 0.5 is chance.
    """
    from rich.table import Table

    from ..curation import study_report
    from ..errors import MissingInputError
    from ..schemas import StudyAnswer

    manifest = existing_workspace(workspace).manifest(StudyAnswer)
    answers = manifest.read() if manifest.exists() else []
    if not answers:
        raise MissingInputError(f"no answers in {manifest.path}",
                                fix="run `dermforge curate serve --study` and let readers answer")
    lines = study_report(answers)
    if as_json:
        print_json([line.as_dict() for line in lines])
        return
    table = Table("", "answers", "correct", "accuracy", "95% interval")
    for line in lines:
        shown = "-" if line.accuracy is None else f"{line.accuracy:.3f}"
        interval = ("-" if line.low is None or line.high is None
                    else f"{line.low:.3f} – {line.high:.3f}")
        table.add_row(line.label, str(line.n), str(line.correct), shown, interval)
    out.print(table)
    out.print("0.5 is chance: an interval that holds 0.5 means the readers could not tell "
              "real crops from synthetic images")
