"""Where a job's requests run: ``list_executors()`` and ``create_executor(name, ...)``.

An executor is handed the backend's name and options (a remote worker builds its own
backend from them) and returns a :class:`~dermforge.generators.Backend` for the run loop:
``local`` is the backend itself, in this process; ``ray`` sends each request to a Ray actor
and gives the result back, so the driver still writes every journal, blob and record.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..generators import Backend, create_backend

__all__ = ["EXECUTOR_SUMMARIES", "create_executor", "list_executors"]

#: one line per executor, for help texts
EXECUTOR_SUMMARIES: dict[str, str] = {
    "local": "in this process (threads / async requests); the default",
    "ray": "on a Ray cluster: one actor (one model load) per worker/GPU; --ray-address",
}


def list_executors() -> list[str]:
    """Names accepted by :func:`create_executor`, sorted."""
    return sorted(EXECUTOR_SUMMARIES)


def create_executor(name: str, backend: str, options: dict[str, Any], *,
                    address: str | None = None, workers: int | None = None,
                    num_gpus: float | None = None, num_cpus: float = 1.0) -> Backend:
    """The backend ``backend`` (with ``options``) run by the executor ``name``."""
    if name == "local":
        if address is not None:
            raise InputError(f"--ray-address {address!r} is only for --executor ray",
                             fix="add --executor ray, or drop --ray-address")
        return create_backend(backend, **options)
    if name == "ray":
        from ._ray import RayBackend

        return RayBackend(backend, options, address=address, workers=workers,
                          num_gpus=num_gpus, num_cpus=num_cpus)
    raise InputError(f"unknown executor {name!r}",
                     fix=f"use one of: {', '.join(list_executors())}")
