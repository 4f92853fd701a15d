"""Synchronous entry points work where an event loop already runs (a notebook, a browser
test): the coroutine gets its own loop in a worker thread."""

from __future__ import annotations

import asyncio
import threading

from dermforge._aio import run_sync


async def _where() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_without_a_running_loop_it_runs_here() -> None:
    assert run_sync(_where()) == threading.current_thread().name


def test_inside_a_running_loop_it_runs_on_its_own_loop() -> None:
    async def caller() -> str:
        return run_sync(_where())  # asyncio.run here would raise RuntimeError

    assert asyncio.run(caller()) != threading.current_thread().name
