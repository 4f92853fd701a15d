"""The ``ray`` executor: a backend's requests run on Ray actors; the driver records them.

Each actor builds the backend once (so a ``diffusers`` worker loads its model once) and
answers ``generate`` calls; ``num_gpus`` per actor comes from the params. The driver keeps
everything else: the plan, the budget, the rate limit, the retries, and — alone — the
journal, the blobs and the records, exactly as a local run does. So a killed driver resumes
like a local run, and a killed worker costs only its request in flight: the call fails, the
runner retries it (a transient error) on another actor, and Ray restarts the dead one.

``openai`` and ``import`` are refused: an API call needs no GPU and its key would have to
travel to every worker, and an import reads files that only the driver's machine has.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from typing import Any

from pydantic import JsonValue

from ..errors import InputError, MissingExtraError
from ..generators import (
    Backend,
    GenerationError,
    GenerationResult,
    RequestInputs,
    SeedInputs,
    WeightsIdentity,
    create_backend,
)
from ..schemas import GenerationRequest

__all__ = ["RAY_REFUSED", "RayBackend"]

#: backends the ray executor will not run, and why
RAY_REFUSED: dict[str, str] = {
    "openai": "the openai backend calls a paid web API: it needs no GPU, its budget and rate "
              "limit are one per job, and its key would have to reach every Ray worker",
    "import": "the import backend reads files on this machine, which the Ray workers lack",
}

#: environment variables a worker gets from the driver (reproducible timestamps)
_FORWARDED_ENV = ("SOURCE_DATE_EPOCH",)
#: seconds (one try a second) a lost actor may take to come back before it is dropped
_REVIVE_TRIES = 300


class _Worker:
    """The Ray actor: one backend instance (one model load) per worker process."""

    def __init__(self, backend: str, options: dict[str, Any]) -> None:
        self.backend = create_backend(backend, **options)

    def pid(self) -> int:
        return os.getpid()

    def generate(self, request_json: str, image: bytes, mask: bytes | None,
                 ) -> tuple[str, Any]:
        request = GenerationRequest.model_validate_json(request_json)
        try:
            result = asyncio.run(self.backend.generate(request, RequestInputs(image, mask)))
        except GenerationError as error:  # sent back as fields: exceptions pickle poorly
            return "error", {"kind": error.kind, "message": error.message,
                             "permanent": error.permanent, "fatal": error.fatal,
                             "status_code": error.status_code,
                             "retry_after_s": error.retry_after_s, "fix": error.fix}
        return "ok", result


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray", "ray") from None
    return ray


class RayBackend:
    """A :class:`~dermforge.generators.Backend` whose ``generate`` runs on Ray actors."""

    def __init__(self, backend: str, options: dict[str, Any], *, address: str | None = None,
                 workers: int | None = None, num_gpus: float | None = None,
                 num_cpus: float = 1.0) -> None:
        if backend in RAY_REFUSED:
            raise InputError(f"--executor ray does not run --backend {backend}: "
                             f"{RAY_REFUSED[backend]}",
                             fix="use --executor local (raise --concurrency for more "
                                 "requests in flight)")
        if workers is not None and workers < 1:
            raise InputError(f"ray_workers must be >= 1, got {workers!r}",
                             fix="leave it null: one worker per GPU (or per CPU)")
        self.local: Backend = create_backend(backend, **options)  # plans on the driver
        self.name, self.paid = self.local.name, self.local.paid
        weights = getattr(self.local, "weights", None)
        if isinstance(weights, WeightsIdentity) and weights.revision is not None:
            # every worker loads the commit the driver planned with, not a newer "main"
            options = {**options, "revision": weights.revision}
        self._backend, self._options = backend, options
        self.address, self.workers, self.num_gpus, self.num_cpus = (
            address, workers, num_gpus, num_cpus)
        self.pids: list[int] = []
        self._actors: list[Any] = []
        self._idle: asyncio.Queue[Any] | None = None
        self._started = asyncio.Lock()
        self._owns_ray = False
        self._reviving: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"RayBackend({self.local!r}, address={self.address!r}, workers={self.workers})"

    def plan(self, seeds: Sequence[SeedInputs], n: int) -> list[GenerationRequest]:
        return self.local.plan(seeds, n)

    def price_per_image(self, request: GenerationRequest) -> float | None:
        return self.local.price_per_image(request)

    # --- the cluster --------------------------------------------------------------------
    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, log_to_driver=False,
                         configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise InputError(f"cannot reach the Ray cluster at "
                                 f"{self.address or 'a new local instance'}: {exc}",
                                 fix="start it (`ray start --head` on the head node, `ray "
                                     "start --address HEAD:6379` on the others) and pass "
                                     "--ray-address HEAD:6379") from None
            self._owns_ray = True
        return ray

    def _layout(self, ray: Any) -> tuple[int, float]:
        """(workers, GPUs per worker) from the params and the cluster's resources."""
        resources = ray.cluster_resources()
        gpus = float(resources.get("GPU", 0.0))
        num_gpus = self.num_gpus
        if num_gpus is None:
            num_gpus = 1.0 if gpus >= 1 and self._backend == "diffusers" else 0.0
        if self.workers is not None:
            return self.workers, num_gpus
        if num_gpus > 0:
            return max(1, int(gpus // num_gpus)), num_gpus
        return max(1, int(float(resources.get("CPU", 1.0)) // max(self.num_cpus, 0.01))), 0.0

    def _start(self) -> None:
        ray = self._connect()
        count, num_gpus = self._layout(ray)
        env = {k: os.environ[k] for k in _FORWARDED_ENV if os.environ.get(k)}
        actor = ray.remote(_Worker).options(
            num_cpus=self.num_cpus, num_gpus=num_gpus, max_restarts=-1, max_task_retries=0,
            runtime_env={"env_vars": env} if env else None)
        self._actors = [actor.remote(self._backend, self._options) for _ in range(count)]
        self.pids = ray.get([a.pid.remote() for a in self._actors])
        self.workers, self.num_gpus = count, num_gpus

    async def _pool(self) -> asyncio.Queue[Any]:
        async with self._started:
            if self._idle is None:
                await asyncio.to_thread(self._start)
                self._idle = asyncio.Queue()
                for actor in self._actors:
                    self._idle.put_nowait(actor)
        return self._idle

    async def start(self) -> list[int]:
        """Connect and start the actors now (otherwise: on the first request); their pids."""
        await self._pool()
        return self.pids

    # --- the protocol -------------------------------------------------------------------
    async def generate(self, request: GenerationRequest, inputs: RequestInputs,
                       ) -> GenerationResult:
        idle = await self._pool()
        ray = _ray()
        if not self._actors:
            raise GenerationError("server_error", "every Ray worker is lost and none came "
                                  "back", permanent=False, fatal=True,
                                  fix="check the cluster (`ray status`), then re-run")
        actor = await idle.get()
        try:
            status, payload = await actor.generate.remote(
                request.model_dump_json(), inputs.image, inputs.mask)
        except ray.exceptions.RayTaskError as exc:  # the worker's code raised: a bug
            idle.put_nowait(actor)
            raise GenerationError(
                "server_error", f"a Ray worker failed on request {request.request_id[:12]}: "
                f"{type(exc.cause).__name__}: {str(exc.cause)[:500]}", permanent=False) from None
        except ray.exceptions.RayError as exc:
            self._reviving.add(asyncio.create_task(self._revive(actor, idle)))
            raise GenerationError(
                "server_error", f"Ray worker lost during request {request.request_id[:12]} "
                f"({type(exc).__name__}); it is retried on another worker",
                permanent=False) from None
        idle.put_nowait(actor)
        if status == "error":
            fields: dict[str, JsonValue] = payload
            raise GenerationError(
                fields["kind"], str(fields["message"]),  # type: ignore[arg-type]
                permanent=bool(fields["permanent"]), fatal=bool(fields["fatal"]),
                status_code=fields["status_code"],  # type: ignore[arg-type]
                retry_after_s=fields["retry_after_s"],  # type: ignore[arg-type]
                fix=fields["fix"])  # type: ignore[arg-type]
        result: GenerationResult = payload
        return result

    async def _revive(self, actor: Any, idle: asyncio.Queue[Any]) -> None:
        """Give a lost actor back to the pool once Ray has restarted it (or drop it)."""
        ray = _ray()
        for _ in range(_REVIVE_TRIES):
            try:
                self.pids[self._actors.index(actor)] = await actor.pid.remote()
            except ray.exceptions.RayError:
                await asyncio.sleep(1.0)
                continue
            except ValueError:  # closed meanwhile
                return
            idle.put_nowait(actor)
            return
        if actor in self._actors:
            self.pids.pop(self._actors.index(actor))
            self._actors.remove(actor)

    async def aclose(self) -> None:
        for task in self._reviving:
            task.cancel()
        await self.local.aclose()
        if not self._actors and not self._owns_ray:
            return
        ray = _ray()
        for actor in self._actors:
            with contextlib.suppress(Exception):
                ray.kill(actor)
        self._actors, self._idle = [], None
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False
