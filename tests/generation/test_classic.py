"""The classic backend: deterministic, and untouched outside the editable region."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from dermforge.generators import ClassicBackend, RequestInputs, create_backend
from dermforge.runner import RunOptions, generate, seed_inputs
from dermforge.schemas import Candidate, GenerationRequest, Mask
from dermforge.store import Workspace

from .conftest import prepare_seeds


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def _render(ws: Workspace, backend: ClassicBackend, n: int,
            ) -> tuple[GenerationRequest, list[bytes]]:
    request = backend.plan(seed_inputs(ws)[:1], n)[0]
    inputs = RequestInputs(image=ws.blobs.read(request.image_sha256),
                           mask=ws.blobs.read(request.mask_sha256 or ""))
    result = asyncio.run(backend.generate(request, inputs))
    return request, [image.data for image in result.images]


@pytest.mark.parametrize("jitter", [True, False])
def test_same_request_gives_byte_identical_images(demo_workspace: Workspace,
                                                  jitter: bool) -> None:
    prepare_seeds(demo_workspace, 1, 192)
    backend = ClassicBackend(jitter=jitter)
    request, first = _render(demo_workspace, backend, 4)
    again, second = _render(demo_workspace, ClassicBackend(jitter=jitter), 4)
    assert request.request_id == again.request_id
    assert first == second
    assert len(set(first)) == 4  # each index is a different variation


@pytest.mark.parametrize("editable", ["inside", "outside"])
def test_without_jitter_pixels_outside_the_editable_region_are_unchanged(
        demo_workspace: Workspace, editable: str) -> None:
    prepare_seeds(demo_workspace, 1, 256, editable=editable)
    request, images = _render(demo_workspace, ClassicBackend(jitter=False), 3)
    crop = _pixels(demo_workspace.blobs.read(request.image_sha256))
    mask = demo_workspace.read(Mask)[0]
    with Image.open(demo_workspace.blobs.path(mask.sha256)) as m:
        keep = np.asarray(m.getchannel("A")) != 0
    for data in images:
        out = _pixels(data)
        assert out.shape == crop.shape
        assert np.array_equal(out[keep], crop[keep])
        assert not np.array_equal(out[~keep], crop[~keep])  # the region was re-synthesised


def test_jitter_changes_the_whole_image_but_keeps_its_size(demo_workspace: Workspace) -> None:
    prepare_seeds(demo_workspace, 1, 256)
    request, images = _render(demo_workspace, ClassicBackend(jitter=True), 2)
    crop = _pixels(demo_workspace.blobs.read(request.image_sha256))
    for data in images:
        out = _pixels(data)
        assert out.shape == crop.shape
        assert np.abs(out.astype(int) - crop.astype(int)).mean() > 1.0


def test_runner_output_is_reproducible_across_workspaces(demo_workspace: Workspace,
                                                         tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dermforge.sources import demo_images_dir, import_folder, load_catalog

    other = Workspace(tmp_path / "other")
    import_folder(demo_images_dir(), other, load_catalog())
    shas = []
    for ws in (demo_workspace, other):
        prepare_seeds(ws, 3, 128)
        report = generate(ws, create_backend("classic"), n=2, options=RunOptions(concurrency=2))
        assert report.finished and report.stored_images == 6
        shas.append(sorted((c.candidate_id, c.sha256) for c in ws.read(Candidate)))
        assert all(c.cost_usd == 0.0 and c.model == "skimage-biharmonic-v1"
                   for c in ws.read(Candidate))
    assert shas[0] == shas[1]


def test_bad_options_are_input_errors() -> None:
    from dermforge.errors import InputError

    with pytest.raises(InputError, match="work_size"):
        create_backend("classic", work_size=4)
