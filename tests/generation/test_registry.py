"""Every registered backend follows the protocol (the loop fails for an untested backend)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from dermforge.errors import InputError
from dermforge.generators import (
    Backend,
    GenerationResult,
    RequestInputs,
    create_backend,
    list_backends,
)
from dermforge.runner import seed_inputs
from dermforge.store import Workspace
from servers.openai_server import OpenAIImagesServer

from .conftest import prepare_seeds


def _import_folder(folder: Path, source_id: str) -> Path:
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 90)).save(buffer, format="PNG")
    (folder / "a.png").write_bytes(buffer.getvalue())
    (folder / "a.json").write_text(json.dumps({
        "source_id": source_id, "prompt": "An image of x", "model": "dall-e-2",
        "date": "2022-08-15", "operator": "op"}))
    return folder


Factory = Callable[[Workspace, Path, OpenAIImagesServer, list[str], pytest.FixtureRequest],
                   Backend]

FACTORIES: dict[str, Factory] = {
    "classic": lambda ws, tmp, srv, ids, fx: create_backend("classic"),
    "diffusers": lambda ws, tmp, srv, ids, fx: create_backend(
        "diffusers", model=str(fx.getfixturevalue("tiny_pipeline")), resolution=32, steps=2),
    "import": lambda ws, tmp, srv, ids, fx: create_backend(
        "import", source=_import_folder(tmp / "made", ids[0])),
    "openai": lambda ws, tmp, srv, ids, fx: create_backend(
        "openai", api_key="sk-test-server-key", base_url=srv.base_url, size="256x256"),
}


def test_every_backend_is_covered() -> None:
    assert sorted(FACTORIES) == list_backends()


@pytest.mark.parametrize("name", list_backends())
def test_backend_protocol(name: str, demo_workspace: Workspace, tmp_path: Path,
                          server: OpenAIImagesServer, request: pytest.FixtureRequest) -> None:
    ids = prepare_seeds(demo_workspace, 2, 128)
    backend = FACTORIES[name](demo_workspace, tmp_path, server, ids, request)
    assert isinstance(backend, Backend) and backend.name == name
    inputs = seed_inputs(demo_workspace)
    plan = backend.plan(inputs, 2)
    again = FACTORIES[name](demo_workspace, tmp_path / "again", server, ids, request).plan(
        inputs, 2)
    assert plan and [r.request_id for r in plan] == [r.request_id for r in again]
    assert all(r.backend == name and r.computed_id() == r.request_id for r in plan)
    first = plan[0]
    price = backend.price_per_image(first)
    assert price is None or price >= 0
    inputs_bytes = RequestInputs(
        image=demo_workspace.blobs.read(first.image_sha256),
        mask=demo_workspace.blobs.read(first.mask_sha256) if first.mask_sha256 else None)

    async def once() -> GenerationResult:
        try:
            return await backend.generate(first, inputs_bytes)
        finally:
            await backend.aclose()

    result = asyncio.run(once())
    assert isinstance(result, GenerationResult) and len(result.images) == first.n
    assert result.created.tzinfo is not None
    for image in result.images:
        with Image.open(io.BytesIO(image.data)) as decoded:
            assert decoded.size == (image.width, image.height)
            assert decoded.format.lower() == image.format


def test_unknown_backend_and_options() -> None:
    with pytest.raises(InputError, match="classic, diffusers, import, openai"):
        create_backend("dalle-web")
    with pytest.raises(InputError, match="does not accept"):
        create_backend("classic", temperature=2)
