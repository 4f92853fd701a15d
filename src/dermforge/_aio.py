"""Run a coroutine to completion from synchronous code, also where an event loop is already
running in this thread (a Jupyter notebook, a test that drives a browser): there, the
coroutine runs on its own loop in a worker thread, since ``asyncio.run`` would refuse."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
