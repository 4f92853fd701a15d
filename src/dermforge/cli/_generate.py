"""`dermforge generate`: make candidates for every seed with a backend (resumable, budgeted)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._choices import Backend, Executor
from ._common import JsonOption, WorkspaceOption, err, out, print_json, say_cleaned
from ._stageopts import ParamsOption

if TYPE_CHECKING:
    from ..pipeline import GenerateRun

__all__ = ["generate_cmd"]

_BACKENDS_HELP = ("classic: offline and free (inpainting + texture + jitter); openai: OpenAI "
                  "image edits with a mask (paid); diffusers: open-weights inpainting "
                  "(--model PATH_OR_ID); import: images made elsewhere (--from)")


def generate_cmd(
    workspace: WorkspaceOption,
    backend: Annotated[Backend | None, typer.Option(
        "--backend", "-b", help=_BACKENDS_HELP)] = None,
    n: Annotated[int | None, typer.Option("--n", help="images per seed (1-10)")] = None,
    budget_usd: Annotated[float | None, typer.Option(
        "--budget-usd", help="most the job may spend in total (recorded spend counts)")] = None,
    max_usd_per_image: Annotated[float | None, typer.Option(
        "--max-usd-per-image", help="cap per image; required where no price is known")] = None,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", help="requests in flight at once")] = None,
    images_per_minute: Annotated[float | None, typer.Option(
        "--images-per-minute", help="most images per minute (default: params "
        "generate.images_per_minute, else no limit)")] = None,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="I/N: run only part I of N (deterministic by request id)")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="openai: model name; diffusers: pipeline folder or Hub id")] = None,
    lora: Annotated[str | None, typer.Option(
        "--lora", help="diffusers: LoRA weights file or folder (sha256 recorded)")] = None,
    executor: Annotated[Executor | None, typer.Option(
        "--executor", help="where requests run: local (this process) or ray (a Ray cluster; "
        "the driver still writes every record)")] = None,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="ray: the head node's HOST:PORT (default: params "
        "generate.ray_address, else a local Ray instance)")] = None,
    size: Annotated[str | None, typer.Option("--size", help="openai output size")] = None,
    quality: Annotated[str | None, typer.Option("--quality", help="openai quality")] = None,
    jitter: Annotated[bool | None, typer.Option(
        "--jitter/--no-jitter", help="classic: label-preserving jitter")] = None,
    source: Annotated[Path | None, typer.Option(
        "--from", help="import: a folder of images with .json sidecars, or a CSV")] = None,
    max_failed: Annotated[int | None, typer.Option(
        "--max-failed", help="requests that may have failed permanently before the command "
        "exits 1 (default: params generate.max_failed, else 0)")] = None,
    params: ParamsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate candidates for every prepared seed; re-running resumes where it stopped."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .._params import load_section
    from ..pipeline import make_backend, run_generate
    from ..runner import GenerateParams, RunReport, parse_shard

    settings = load_section(params, "generate", GenerateParams, {
        "backend": backend, "n": n, "budget_usd": budget_usd,
        "max_usd_per_image": max_usd_per_image, "concurrency": concurrency,
        "images_per_minute": images_per_minute, "model": model, "size": size,
        "quality": quality, "jitter": jitter, "max_failed": max_failed, "lora": lora,
        "executor": executor, "ray_address": ray_address})
    backend_ = make_backend(settings, source)
    shard_ = parse_shard(shard)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err, transient=False) as progress:
        task = progress.add_task(f"generate ({backend_.name})", total=None, detail="planning")

        def update(report: RunReport) -> None:
            resolved = (report.completed_requests + report.permanent_failures
                        + report.transient_failures)
            budget = "" if report.budget_usd is None else f" / ${report.budget_usd:.2f}"
            detail = (f"{report.stored_images} images, {sum(report.failures.values())} failed, "
                      f"{report.in_flight} in flight, "
                      f"${report.spent_before_usd + report.spent_usd:.2f}{budget}")
            progress.update(task, total=report.todo_requests, completed=resolved, detail=detail)

        run = run_generate(workspace, settings, shard=shard_, backend=backend_,
                           on_update=update, on_message=err.print)
    say_cleaned(run.cleaned)
    if as_json:
        print_json({"ok": run.ok, "backend": run.params.backend,
                    "failed_requests": run.failed_requests,
                    "max_failed": run.params.max_failed, "report": run.report})
    else:
        _summarise(run)
    if not run.ok:
        raise typer.Exit(code=1)


def _summarise(run: GenerateRun) -> None:
    report = run.report
    out.print(f"plan: {report.planned_requests} requests ({report.planned_images} images), "
              f"backend {run.params.backend}")
    out.print(f"already done: {report.already_done}, permanently failed before: "
              f"{report.already_failed}, recovered from an interrupted run: "
              f"{report.recovered_images} images")
    failures = ", ".join(f"{k}: {v}" for k, v in sorted(report.failures.items())) or "none"
    out.print(f"this run: {report.stored_images} images stored from "
              f"{report.completed_requests} of {report.todo_requests} requests in "
              f"{report.elapsed_s:.1f} s; failures: {failures}")
    budget = "no budget" if report.budget_usd is None else f"budget ${report.budget_usd:.2f}"
    out.print(f"spent: ${report.spent_usd:.4f} this run, ${report.spent_before_usd:.4f} "
              f"before ({budget})")
    if report.incomplete:
        out.print(f"{report.incomplete} request(s) hold fewer candidates than asked and no "
                  "failure record; they are left as they are (never paid for twice)")
    if report.stopped == "budget":
        out.print("stopped: the next request would pass the budget; raise --budget-usd and "
                  "re-run to continue")
    elif report.stopped == "interrupted":
        out.print("interrupted: everything received is stored; re-run the same command to "
                  "resume")
    elif report.transient_failures:
        out.print(f"{report.transient_failures} request(s) failed after retries; re-run the "
                  "same command to try them again")
    if run.failed_requests:
        allowed = run.params.max_failed
        err.print(f"{run.failed_requests} request(s) of the plan failed permanently (see "
                  f"records/failures.jsonl); generate.max_failed allows {allowed}"
                  + ("" if run.failed_requests <= allowed else ": exit 1"))
