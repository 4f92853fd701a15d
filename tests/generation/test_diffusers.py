"""The diffusers backend, run for real on a tiny random pipeline on the CPU."""

from __future__ import annotations

import asyncio
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dermforge.errors import InputError
from dermforge.generators import (
    DiffusersBackend,
    RequestInputs,
    create_backend,
    seed_for,
    to_diffusers_mask,
)
from dermforge.runner import generate, seed_inputs
from dermforge.schemas import Candidate, GenerationRequest
from dermforge.store import Workspace

from .conftest import ellipse_mask, prepare_seeds

SIDE = 32


def _backend(model: Path, **options: object) -> DiffusersBackend:
    backend = create_backend("diffusers", model=str(model), resolution=SIDE, steps=2,
                             **options)
    assert isinstance(backend, DiffusersBackend)
    return backend


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _render(ws: Workspace, backend: DiffusersBackend, n: int,
            ) -> tuple[GenerationRequest, list[bytes], dict[str, object]]:
    request = backend.plan(seed_inputs(ws)[:1], n)[0]
    inputs = RequestInputs(image=ws.blobs.read(request.image_sha256),
                           mask=ws.blobs.read(request.mask_sha256 or ""))
    result = asyncio.run(backend.generate(request, inputs))
    return request, [i.data for i in result.images], dict(result.metadata)


def test_alpha_zero_becomes_diffusers_white() -> None:
    mask = ellipse_mask(64, "inside")  # alpha 0 inside the ellipse = regenerate
    converted = np.asarray(to_diffusers_mask(_png(mask), 64))
    alpha = np.asarray(mask.getchannel("A"))
    assert converted.dtype == np.uint8 and converted.shape == (64, 64)
    assert set(np.unique(converted)) == {0, 255}
    assert np.array_equal(converted == 255, alpha == 0)  # white = repaint
    assert converted[32, 32] == 255 and converted[0, 0] == 0


def test_same_seed_same_bytes_and_recorded_provenance(demo_workspace: Workspace,
                                                      tiny_pipeline: Path) -> None:
    prepare_seeds(demo_workspace, 1, 48, editable="inside")
    request, first, meta = _render(demo_workspace, _backend(tiny_pipeline), 2)
    again, second, _ = _render(demo_workspace, _backend(tiny_pipeline), 2)
    assert request.request_id == again.request_id and first == second
    assert len(set(first)) == 2  # each index has its own seed
    for data in first:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.size == (SIDE, SIDE)
    weights = request.parameters["weights"]
    assert isinstance(weights, dict)
    assert weights["model"] == "tiny-sd-inpaint" and weights["source"] == "folder"
    assert weights["license"] == "mit" and weights["license_source"] == "model card"
    assert isinstance(weights["weights_sha256"], str) and len(weights["weights_sha256"]) == 64
    assert request.parameters["steps"] == 2 and request.parameters["guidance"] == 7.5
    assert meta["scheduler"] == "DDIMScheduler" and meta["device"] == "cpu"
    assert meta["dtype"] == "float32" and meta["weights_license"] == "mit"


def test_pixels_outside_the_editable_region_are_the_crops(demo_workspace: Workspace,
                                                          tiny_pipeline: Path) -> None:
    prepare_seeds(demo_workspace, 1, SIDE, editable="inside")
    request, images, _ = _render(demo_workspace, _backend(tiny_pipeline), 1)
    crop = np.asarray(Image.open(io.BytesIO(demo_workspace.blobs.read(request.image_sha256)))
                      .convert("RGB"))
    keep = np.asarray(Image.open(io.BytesIO(demo_workspace.blobs.read(
        request.mask_sha256 or ""))).getchannel("A")) != 0
    out = np.asarray(Image.open(io.BytesIO(images[0])).convert("RGB"))
    assert np.array_equal(out[keep], crop[keep])
    assert not np.array_equal(out[~keep], crop[~keep])


def test_a_job_records_one_seed_per_candidate(demo_workspace: Workspace,
                                              tiny_pipeline: Path) -> None:
    prepare_seeds(demo_workspace, 2, 48)
    report = generate(demo_workspace, _backend(tiny_pipeline), n=2)
    assert report.finished and report.stored_images == 4
    for candidate in demo_workspace.read(Candidate):
        assert candidate.backend == "diffusers" and candidate.model == "tiny-sd-inpaint"
        assert candidate.metadata["seed"] == seed_for(candidate.request_id, candidate.index)
        assert (candidate.width, candidate.height) == (SIDE, SIDE)


def test_the_licence_must_be_stated(tmp_path: Path, tiny_pipeline: Path) -> None:
    bare = tmp_path / "no-card"
    shutil.copytree(tiny_pipeline, bare)
    (bare / "README.md").unlink()
    with pytest.raises(InputError, match="licence") as caught:
        _backend(bare)
    assert "weights_license" in (caught.value.fix or "")
    backend = _backend(bare, weights_license="creativeml-openrail-m")
    assert backend.weights.license_source == "parameter"


@pytest.mark.parametrize(("model", "says"), [
    ("./no/such/folder", "neither a folder nor a Hub id"),
    ("", "needs --model"),
])
def test_a_bad_model_is_an_input_error(model: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        create_backend("diffusers", model=model)


def test_a_folder_without_weights_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no weight files"):
        create_backend("diffusers", model=str(tmp_path))


def test_the_card_states_the_weights_licence_and_identity(demo_workspace: Workspace,
                                                          tiny_pipeline: Path) -> None:
    from dermforge.cards._facts import ReleaseFacts, _weights_of
    from dermforge.cards._statements import ai_disclosure

    prepare_seeds(demo_workspace, 1, 48)
    generate(demo_workspace, _backend(tiny_pipeline), n=1)
    candidate = demo_workspace.read(Candidate)[0]
    stated = _weights_of(candidate.metadata["weights"])
    assert stated is not None and stated[0] == "mit"
    assert stated[1].startswith("weight files sha256 ")
    facts = ReleaseFacts(conditions=["psoriasis"])
    facts.made_by[("diffusers", candidate.model)] += 1
    facts.weights[("diffusers", candidate.model)] = stated
    (line,) = ai_disclosure(facts, str)
    assert "open-weights model tiny-sd-inpaint" in line
    assert "weights licence: mit" in line and stated[1] in line


def test_a_hub_id_offline_is_an_input_error_naming_the_fix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never reaches the network
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(InputError, match="the Hub cannot tell which commit") as caught:
        create_backend("diffusers", model="stabilityai/stable-diffusion-2-inpainting")
    assert "--local-dir" in (caught.value.fix or "")
