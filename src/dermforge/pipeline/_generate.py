"""The generate stage: every prepared seed × n candidates with a backend → requests.jsonl,
candidates.jsonl, failures.jsonl and the generate blob layer; resumable, budgeted, and safe
to interrupt (Ctrl-C stops sending and finishes what is in flight; twice aborts)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._aio import run_sync
from ..errors import InputError, ServiceError
from ..generators import Backend, create_backend, list_backends
from ..runner import (
    GENERATE_LAYER,
    GenerateParams,
    RunOptions,
    RunReport,
    Shard,
    agenerate,
    backend_options,
    create_executor,
)
from ..schemas import Candidate, GenerationFailure, GenerationRequest
from ..store import Workspace
from ._common import as_workspace

__all__ = ["GenerateRun", "make_backend", "run_generate"]


@dataclass
class GenerateRun:
    report: RunReport
    params: GenerateParams
    cleaned: list[Path] = field(default_factory=list)

    @property
    def failed_requests(self) -> int:
        """Requests of the plan that failed permanently, in this run or an earlier one."""
        return self.report.permanent_failures + self.report.already_failed

    @property
    def ok(self) -> bool:
        """The job is complete: nothing left to do and no more permanent failures than
        ``params.max_failed`` allows."""
        return self.report.finished and self.failed_requests <= self.params.max_failed


def make_backend(params: GenerateParams, source: Path | None = None) -> Backend:
    """The backend ``params`` names, with its options (``source``: the import backend's)."""
    if params.backend not in list_backends():
        raise InputError(f"unknown backend {params.backend!r}",
                         fix=f"use --backend with one of: {', '.join(list_backends())}")
    options: dict[str, Any] = backend_options(params)
    if params.backend == "import":
        if source is None:
            raise InputError("--backend import needs --from FOLDER_OR_CSV",
                             fix="point --from at a folder of images with .json sidecars or "
                                 "at a CSV (file,source_id,prompt,model,date,operator; "
                                 "text-to-image: condition,fitzpatrick instead of source_id)")
        options["source"] = source
    elif source is not None:
        raise InputError(f"--from is only for --backend import (got --backend "
                         f"{params.backend})", fix="drop --from, or use --backend import")
    if params.executor == "local" and params.ray_address is None:
        return create_backend(params.backend, **options)
    return create_executor(params.executor, params.backend, options,
                           address=params.ray_address, workers=params.ray_workers,
                           num_gpus=params.ray_num_gpus, num_cpus=params.ray_num_cpus)


def run_generate(workspace: Workspace | Path, params: GenerateParams, *,
                 source: Path | None = None, shard: Shard | None = None,
                 backend: Backend | None = None,
                 on_update: Callable[[RunReport], None] | None = None,
                 on_message: Callable[[str], None] | None = None,
                 handle_signals: bool = True) -> GenerateRun:
    """Generate ``params.n`` candidates per seed; re-running resumes where it stopped.

    Raises ServiceError when the service refused the whole run (bad key, no credit). The
    result's ``ok`` is False when requests are left or failed permanently — the CLI then
    exits 1, so `generate && build` never carries on after failed work.
    """
    generator = backend or make_backend(params, source)
    options = RunOptions(concurrency=params.concurrency,
                         rate_limit_per_min=params.images_per_minute, attempts=params.attempts)
    ws = as_workspace(workspace)
    with _turn(ws) as cleaned:
        report = run_sync(_run(ws, generator, params, options, shard or Shard(), on_update,
                               on_message or (lambda _m: None), handle_signals))
    if report.stopped == "fatal":
        raise ServiceError(report.fatal_message or "the service refused the run",
                           fix="check the message above (credentials, quota, model access)")
    return GenerateRun(report, params, cleaned)


@contextlib.contextmanager
def _turn(ws: Workspace) -> Iterator[list[Path]]:
    """Shards of one job run side by side, so generation has no single-run stage lock:
    every generate process holds a shared lock while it runs, and the one that finds no
    other running (an exclusive lock is free) first removes what killed runs left — temp
    files of the generation manifests and half-written blobs of the generate layer."""
    path = ws.create().records_dir / ".generate-running.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        cleaned: list[Path] = []
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another generate runs: its temp files are live, leave them
        else:
            for model in (GenerationRequest, Candidate, GenerationFailure):
                cleaned += ws.manifest(model).clean_leftovers()
            cleaned += ws.blobs.clean_partial(GENERATE_LAYER)
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield cleaned
    finally:
        os.close(fd)


async def _run(workspace: Workspace, backend: Backend, params: GenerateParams,
               options: RunOptions, shard: Shard,
               on_update: Callable[[RunReport], None] | None, say: Callable[[str], None],
               handle_signals: bool) -> RunReport:
    stop = asyncio.Event()
    main = asyncio.current_task()

    def interrupt() -> None:
        if stop.is_set() and main is not None:
            say("aborting now: requests in flight may be billed and lost")
            main.cancel()
            return
        stop.set()
        say("stopping: no new requests; finishing the ones in flight "
            "(press Ctrl-C again to abort)")

    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, interrupt)
    return await agenerate(workspace, backend, n=params.n, options=options, shard=shard,
                           budget_usd=params.budget_usd,
                           max_usd_per_image=params.max_usd_per_image, stop=stop,
                           on_update=on_update)
