"""The async run loop: bounded concurrency, a rate limit, retries, budget, durable results.

One dispatcher walks the plan in order. For each request it waits for a free slot
(``concurrency``), reserves the request's estimated cost (stopping before the budget would
be passed) and starts a task. A task waits for the rate limiter (images per minute), calls
the backend, retries transient errors with exponential backoff that honours Retry-After
(tenacity; the openai SDK retries underneath as well), journals the response the moment it
arrives and commits it (see ``_journal``). Permanent failures become ``GenerationFailure``
records and the run moves on; transient failures that outlast the retries are recorded as
non-permanent, so the next run tries them again. ``stop`` (set on Ctrl-C) stops new
requests and lets the ones in flight finish, so nothing already paid for is lost.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ..generators import Backend, GenerationError, GenerationResult, RequestInputs
from ..schemas import GenerationFailure, GenerationRequest
from ..store import Workspace
from ._budget import Budget
from ._journal import candidates_for, commit, write_journal

__all__ = ["RunOptions", "RunReport", "run_requests"]

StopReason = Literal["budget", "interrupted", "fatal"]


@dataclass(frozen=True)
class RunOptions:
    """How a run behaves (not what it makes: that is the plan)."""

    concurrency: int = 4
    rate_limit_per_min: float | None = None  # images per minute; None = unlimited
    attempts: int = 3  # runner-level tries per request (the SDK retries inside each)
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0


@dataclass
class RunReport:
    """What a run did; updated live (the progress bar reads it)."""

    planned_requests: int = 0
    planned_images: int = 0
    already_done: int = 0
    already_failed: int = 0
    incomplete: int = 0
    recovered_images: int = 0
    todo_requests: int = 0
    todo_images: int = 0
    completed_requests: int = 0
    stored_images: int = 0
    in_flight: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    permanent_failures: int = 0
    transient_failures: int = 0
    budget_usd: float | None = None
    spent_before_usd: float = 0.0
    spent_usd: float = 0.0
    stopped: StopReason | None = None
    fatal_message: str | None = None
    elapsed_s: float = 0.0

    @property
    def finished(self) -> bool:
        """Every request of the plan is done or permanently failed."""
        return (self.stopped is None and self.transient_failures == 0
                and self.completed_requests + self.permanent_failures >= self.todo_requests)


class _Stopped(Exception):
    """The run was asked to stop before this request was sent."""


def _wait(options: RunOptions) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(multiplier=options.backoff_s, jitter=options.backoff_s,
                                      max=options.backoff_max_s)

    def wait(state: RetryCallState) -> float:
        delay = float(backoff(state))
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, GenerationError) and error.retry_after_s is not None:
            delay = max(delay, min(error.retry_after_s, options.backoff_max_s))
        return delay

    return wait


def _transient(error: BaseException) -> bool:
    return isinstance(error, GenerationError) and not error.permanent and not error.fatal


class _Run:
    def __init__(self, workspace: Workspace, backend: Backend, options: RunOptions,
                 budget: Budget, prices: dict[str, float], known_ids: set[str],
                 report: RunReport, stop: asyncio.Event,
                 on_update: Callable[[RunReport], None] | None) -> None:
        self.ws, self.backend, self.options, self.budget = workspace, backend, options, budget
        self.prices, self.known_ids, self.report, self.stop = prices, known_ids, report, stop
        self.on_update = on_update
        self.crash: BaseException | None = None
        self.limiter: AsyncLimiter | None = None

    def updated(self) -> None:
        self.report.spent_usd = self.budget.spent_usd
        if self.on_update is not None:
            self.on_update(self.report)

    async def dispatch(self, requests: Sequence[GenerationRequest]) -> None:
        self.limiter = _limiter(self.options.rate_limit_per_min, max((r.n for r in requests),
                                                                      default=1))
        slots = asyncio.Semaphore(self.options.concurrency)
        tasks: list[asyncio.Task[None]] = []
        for request in requests:
            await slots.acquire()
            if self.stop.is_set():
                slots.release()
                self.report.stopped = self.report.stopped or "interrupted"
                break
            reserved = self.budget.estimate(request.n, self.prices[request.request_id])
            if not self.budget.try_reserve(reserved):
                slots.release()
                self.report.stopped = "budget"
                break
            task = asyncio.create_task(self.one(request, reserved))
            task.add_done_callback(lambda _t: slots.release())
            tasks.append(task)
        await asyncio.gather(*tasks)

    async def one(self, request: GenerationRequest, reserved: float) -> None:
        """One request, start to finish; never raises (a crash stops the run instead)."""
        attempts = 0
        try:
            inputs = RequestInputs(  # text-to-image: no input image (empty bytes)
                image=self.ws.blobs.read(request.image_sha256) if request.image_sha256 else b"",
                mask=self.ws.blobs.read(request.mask_sha256) if request.mask_sha256 else None)
            retrying = AsyncRetrying(stop=stop_after_attempt(self.options.attempts),
                                     wait=_wait(self.options),
                                     retry=retry_if_exception(_transient), reraise=True)
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    result = await self._call(request, inputs)
            self._store(request, result, reserved)
        except _Stopped:
            self.budget.release(reserved)
        except GenerationError as error:
            self.budget.release(reserved)
            self._failed(request, error, attempts)
        except Exception as error:  # a bug or a broken workspace: stop cleanly, then raise
            self.budget.release(reserved)
            self.crash = self.crash or error
            self.stop.set()
        finally:
            self.updated()

    async def _call(self, request: GenerationRequest, inputs: RequestInputs,
                    ) -> GenerationResult:
        if self.limiter is not None:
            await self.limiter.acquire(request.n)
        if self.stop.is_set():
            raise _Stopped
        self.report.in_flight += 1
        self.updated()
        try:
            return await self.backend.generate(request, inputs)
        finally:
            self.report.in_flight -= 1

    def _store(self, request: GenerationRequest, result: GenerationResult,
               reserved: float) -> None:
        pairs = candidates_for(request, result)
        journal = write_journal(self.ws, request.request_id, pairs)
        fresh = commit(self.ws, journal, self.known_ids)
        actual = result.cost_usd if self.backend.paid else (result.cost_usd or 0.0)
        self.budget.settle(reserved, actual)
        self.report.completed_requests += 1
        self.report.stored_images += len(fresh)
        if len(pairs) < request.n:
            self._failed(request, GenerationError(
                "invalid_response", f"the response held {len(pairs)} of the {request.n} "
                "images asked for; those were stored", permanent=True), 1)

    def _failed(self, request: GenerationRequest, error: GenerationError,
                attempts: int) -> None:
        if error.fatal:
            self.report.stopped = "fatal"
            self.report.fatal_message = str(error)
            self.stop.set()
            return
        self.ws.manifest(GenerationFailure).append([GenerationFailure(
            request_id=request.request_id, source_id=request.source_id,
            backend=request.backend, model=request.model, kind=error.kind,
            message=error.message, status_code=error.status_code,
            attempts=max(1, attempts), permanent=error.permanent, at=datetime.now(UTC))])
        self.report.failures[error.kind] += 1
        if error.permanent:
            self.report.permanent_failures += 1
        else:
            self.report.transient_failures += 1


def _limiter(per_min: float | None, burst_images: int) -> AsyncLimiter | None:
    """``per_min`` images per minute, with a burst of at most one request's images."""
    if per_min is None:
        return None
    return AsyncLimiter(max_rate=burst_images, time_period=burst_images * 60.0 / per_min)


async def run_requests(
    workspace: Workspace,
    backend: Backend,
    requests: Sequence[GenerationRequest],
    *,
    options: RunOptions,
    budget: Budget,
    prices: dict[str, float],
    known_ids: set[str],
    report: RunReport,
    stop: asyncio.Event | None = None,
    on_update: Callable[[RunReport], None] | None = None,
) -> RunReport:
    """Run ``requests`` (already filtered to the ones to do); return the updated report."""
    started = time.monotonic()
    run = _Run(workspace, backend, options, budget, prices, known_ids, report,
               stop or asyncio.Event(), on_update)
    try:
        await run.dispatch(requests)
    finally:
        report.elapsed_s = time.monotonic() - started
        run.updated()
    if run.crash is not None:
        raise run.crash
    return report
