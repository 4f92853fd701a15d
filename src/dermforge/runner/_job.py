"""A generation job on a workspace: lock, recover, plan, skip what is done, run, report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from .._aio import run_sync
from ..errors import InputError
from ..generators import Backend
from ..schemas import Candidate, GenerationRequest
from ..store import Workspace
from ._budget import Budget, per_image_prices
from ._journal import journal_dir, recover
from ._loop import RunOptions, RunReport, run_requests
from ._plan import Shard, plan_requests, work_status

__all__ = ["agenerate", "generate"]


def _lock(workspace: Workspace, shard: Shard) -> FileLock:
    folder = journal_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".generate-{shard.label}.lock"
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(f"another `dermforge generate` (shard {shard.label}) is running on "
                         f"{workspace.root} (it holds {path})",
                         fix="wait for it to finish, or run a different --shard") from None
    return lock


async def agenerate(
    workspace: Workspace | Path,
    backend: Backend,
    *,
    n: int = 8,
    options: RunOptions | None = None,
    shard: Shard | None = None,
    budget_usd: float | None = None,
    max_usd_per_image: float | None = None,
    stop: asyncio.Event | None = None,
    on_update: Callable[[RunReport], None] | None = None,
) -> RunReport:
    """Generate ``n`` images per seed with ``backend``; resumable, budgeted, durable.

    Requests already complete or permanently failed are skipped; responses journaled by a
    killed run are stored first. ``budget_usd`` caps the job's total: what the workspace
    already recorded for this plan counts against it. Closes the backend at the end.
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    part = shard or Shard()
    lock = _lock(ws.create(), part)
    try:
        known_ids = {c.candidate_id for c in ws.manifest(Candidate)}
        recovered = recover(ws, part.__contains__, known_ids)
        plan = plan_requests(ws, backend, n, part)
        status = work_status(ws, plan)
        recorded = {r.request_id for r in ws.manifest(GenerationRequest)}
        ws.manifest(GenerationRequest).append(
            r for r in status.todo if r.request_id not in recorded)
        prices = per_image_prices(status.todo, backend.price_per_image, max_usd_per_image)
        report = RunReport(
            planned_requests=len(plan), planned_images=sum(r.n for r in plan),
            already_done=len(status.done), already_failed=len(status.failed),
            incomplete=len(status.incomplete), recovered_images=len(recovered),
            todo_requests=len(status.todo), todo_images=sum(r.n for r in status.todo),
            budget_usd=budget_usd, spent_before_usd=status.spent_usd)
        budget = Budget(budget_usd, status.spent_usd)
        report = await run_requests(
            ws, backend, status.todo, options=options or RunOptions(), budget=budget,
            prices=prices, known_ids=status.candidate_ids, report=report, stop=stop,
            on_update=on_update)
        # responses are appended in arrival order; a canonical order makes the manifest
        # byte-identical however the concurrent requests happened to finish
        ws.manifest(Candidate).update(
            lambda rows: sorted(rows, key=lambda c: (c.seed_or_request, c.request_id, c.index)))
        return report
    finally:
        await backend.aclose()
        lock.release()


def generate(workspace: Workspace | Path, backend: Backend, **kwargs: object) -> RunReport:
    """Synchronous :func:`agenerate` (runs its own event loop)."""
    return run_sync(agenerate(workspace, backend, **kwargs))  # type: ignore[arg-type]
