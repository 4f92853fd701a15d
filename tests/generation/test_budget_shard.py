"""Budget stops, price checks, and sharding."""

from __future__ import annotations

import uuid

import pytest

from dermforge.errors import InputError
from dermforge.generators import create_backend, image_price
from dermforge.runner import RunOptions, Shard, generate, parse_shard, plan_requests
from dermforge.schemas import Candidate
from dermforge.store import Workspace
from servers.openai_server import OpenAIImagesServer

from .conftest import prepare_seeds

ONE = RunOptions(concurrency=1, backoff_s=0.05)


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> str:
    key = f"sk-budget-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    return key


def _spent(ws: Workspace) -> float:
    return sum(c.cost_usd or 0.0 for c in ws.read(Candidate))


def test_stops_before_a_request_would_pass_the_budget_and_resumes(
        demo_workspace: Workspace, keyed: str) -> None:
    prepare_seeds(demo_workspace, 8, 128)
    price = image_price("gpt-image-2", "1024x1024", "medium")
    assert price is not None and price.checked
    with OpenAIImagesServer(api_key=keyed) as server:
        def run(budget: float):  # type: ignore[no-untyped-def]
            backend = create_backend("openai", base_url=server.base_url, quality="medium")
            return generate(demo_workspace, backend, n=1, options=ONE, budget_usd=budget)

        first = run(0.20)
        assert first.stopped == "budget" and not first.finished
        assert 0 < first.stored_images < 8 and server.billed_requests == first.stored_images
        per_request = _spent(demo_workspace) / first.stored_images
        assert _spent(demo_workspace) <= 0.20 < _spent(demo_workspace) + per_request
        second = run(0.30)  # the recorded spend counts against the new budget
        assert second.spent_before_usd == pytest.approx(first.spent_usd)
        assert second.stored_images >= 1
        assert _spent(demo_workspace) <= 0.30 < _spent(demo_workspace) + per_request
        assert server.billed_requests == len(server.billed) == len(demo_workspace.read(Candidate))


def test_unknown_price_needs_an_explicit_cap(demo_workspace: Workspace, keyed: str) -> None:
    prepare_seeds(demo_workspace, 2, 128)
    with OpenAIImagesServer(api_key=keyed) as server:
        backend = create_backend("openai", base_url=server.base_url, size="512x512")
        with pytest.raises(InputError, match="--max-usd-per-image"):
            generate(demo_workspace, backend, n=1, options=ONE)
        backend = create_backend("openai", base_url=server.base_url, quality="high")
        with pytest.raises(InputError, match="above --max-usd-per-image"):
            generate(demo_workspace, backend, n=1, options=ONE, max_usd_per_image=0.01)
        assert server.arrivals == 0


def test_shards_split_the_plan_deterministically(demo_workspace: Workspace) -> None:
    prepare_seeds(demo_workspace, 6, 96)
    backend = create_backend("classic")
    full = {r.request_id for r in plan_requests(demo_workspace, backend, 2)}
    parts = [{r.request_id for r in plan_requests(demo_workspace, backend, 2, Shard(i, 3))}
             for i in (1, 2, 3)]
    assert set().union(*parts) == full and sum(map(len, parts)) == len(full)
    for text in ("1/3", "2/3", "3/3"):
        report = generate(demo_workspace, create_backend("classic"), n=2, shard=parse_shard(text))
        assert report.finished
    assert len(demo_workspace.read(Candidate)) == 12
    for bad in ("0/2", "3/2", "two/3"):
        with pytest.raises(InputError, match="shard"):
            parse_shard(bad)
