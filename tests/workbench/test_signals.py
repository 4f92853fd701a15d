"""Advisory signals on images whose answer is known (pure functions, then the stage)."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter
from typer.testing import CliRunner

from dermforge._params import load_section
from dermforge.cli import app
from dermforge.curation import (
    SignalsParams,
    compute_signals,
    hash_distance,
    ita_degrees,
    ita_group,
    latest_signals,
    perceptual_hash,
    sharpness,
)
from dermforge.curation._signals import skin_region
from dermforge.errors import MissingInputError, RecordError
from dermforge.schemas import (
    Candidate,
    CandidateSignals,
    GenerationRequest,
    SourceImage,
    candidate_id,
)
from dermforge.sources import demo_images_dir
from dermforge.store import Workspace
from workbench.scenario import VARIANTS, Scenario

PARAMS = SignalsParams()


def demo_image(index: int = 0) -> Image.Image:
    path = sorted(demo_images_dir().glob("*.jpg"))[index]
    with Image.open(path) as image:
        return image.convert("RGB")


def test_ita_formula_and_its_groups() -> None:
    assert ita_degrees(50.0, 20.0) == 0.0
    assert ita_degrees(70.0, 20.0) == pytest.approx(45.0)
    assert ita_degrees(30.0, 20.0) == pytest.approx(-45.0)
    assert ita_degrees(60.0, 10.0 / math.tan(math.radians(30))) == pytest.approx(30.0)
    assert ita_degrees(60.0, 0.0) == 90.0 and ita_degrees(40.0, -3.0) == -90.0
    # Chardon / Del Bino categories: > 41 very light/light, 10-41 intermediate/tan, <= 10
    assert [ita_group(x, PARAMS) for x in (60, 41.5, 41, 28, 10.5, 10, -40)] == [
        "I-II", "I-II", "III-IV", "III-IV", "III-IV", "V-VI", "V-VI"]
    with pytest.raises(ValueError, match="must be greater"):
        SignalsParams(ita_min_i_ii=5.0, ita_min_iii_iv=10.0)


def test_skin_region_is_outside_the_masks_shape() -> None:
    shape = np.zeros((10, 10), dtype=bool)
    shape[2:8, 2:8] = True  # 36 pixels holding the lesion
    regenerate_shape = np.where(shape, 0, 255).astype(np.uint8)  # editable: inside
    keep_shape = np.where(shape, 255, 0).astype(np.uint8)  # editable: outside
    inside, label = skin_region(regenerate_shape, "inside")
    outside, _ = skin_region(keep_shape, "outside")
    assert label == "outside-shape"
    assert inside is not None and outside is not None
    assert (inside == ~shape).all() and (outside == ~shape).all()
    assert skin_region(np.zeros((10, 10), np.uint8), "inside") == (None, "whole-image")
    assert skin_region(None, None) == (None, "whole-image")


def test_darkened_copy_falls_into_a_darker_group() -> None:
    from dermforge.curation._signals import measure

    image = demo_image(5)
    light = Image.new("RGB", image.size, (236, 200, 180))  # ITA ≈ 56°: very light skin
    light_ita = measure(light, None, None, PARAMS).ita
    dark = Image.fromarray((np.asarray(light, np.float64) * 0.35).astype(np.uint8))
    dark_ita = measure(dark, None, None, PARAMS).ita
    assert ita_group(light_ita, PARAMS) == "I-II" and ita_group(dark_ita, PARAMS) == "V-VI"
    real = measure(image, None, None, PARAMS).ita
    darker = measure(Image.fromarray((np.asarray(image) * 0.5).astype(np.uint8)), None, None,
                     PARAMS).ita
    assert darker < real - 20


def test_hash_distance_and_sharpness_on_known_copies() -> None:
    image = demo_image(3)
    same = perceptual_hash(image, 8)
    assert hash_distance(same, perceptual_hash(image.copy(), 8)) == 0
    assert hash_distance(same, perceptual_hash(demo_image(4), 8)) > PARAMS.leak_max_distance
    with pytest.raises(ValueError, match="different sizes"):
        hash_distance("ab", "abcd")
    rgb = np.asarray(image.resize((256, 256)))
    blurred = np.asarray(image.resize((256, 256)).filter(ImageFilter.GaussianBlur(3)))
    assert sharpness(blurred) < 0.5 * sharpness(rgb)
    dimmer = (rgb * 0.4).astype(np.uint8)  # same detail, less contrast: not blurrier
    assert sharpness(dimmer) == pytest.approx(sharpness(rgb), rel=0.35)
    assert sharpness(np.full((8, 8, 3), 7, np.uint8)) == 0.0


def test_stage_flags_the_known_variants(scenario: Scenario) -> None:
    signals = latest_signals(scenario.workspace)
    assert len(signals) == len(scenario.all_candidates) == 32
    for seed in scenario.seeds:
        sid = seed.source_id

        def of(name: str, sid: str = sid) -> CandidateSignals:
            return signals[scenario.variant(sid, name).candidate_id]

        darkened, copy, leak, blurred = of("darkened"), of("copy"), of("leak"), of("blurred")
        assert darkened.ita < darkened.seed_ita and "skin-tone-shift" in darkened.flags
        if darkened.seed_ita_group != "V-VI":
            assert darkened.ita_group == "V-VI" and "fst-group-change" in darkened.flags
        assert copy.seed_distance == 0 and copy.seed_difference == 0
        assert copy.ita == copy.seed_ita and "seed-copy" in copy.flags
        assert leak.nearest_test_id == scenario.leak_source[sid]
        assert leak.nearest_test_distance is not None
        assert leak.nearest_test_distance <= PARAMS.leak_max_distance
        assert "test-leak" in leak.flags
        assert "blurry" in blurred.flags and blurred.sharpness < blurred.seed_sharpness
        for name in ("flipped", "rotated"):
            record = of(name)
            assert not {"seed-copy", "test-leak", "blurry"} & set(record.flags), record
        for name in VARIANTS:
            record = of(name)
            assert record.skin_region == "outside-shape"
            assert record.test_images_compared > 0 and record.test_images_missing == 0
            if name != "leak":
                assert "test-leak" not in record.flags
                assert record.nearest_test_distance > PARAMS.leak_max_distance  # type: ignore[operator]


def _add_exact_copy_of(workspace: Workspace, scenario: Scenario, source: SourceImage) -> str:
    """A candidate whose bytes are exactly a test-split image (a JPEG)."""
    assert source.sha256 is not None
    seed = scenario.seeds[0]
    crop = scenario.crops[seed.source_id]
    request = GenerationRequest.create(
        source_id=seed.source_id, backend="test-variants", model="exact-copy",
        operation="import", prompt="copy", image_sha256=crop.sha256,
        mask_sha256=scenario.masks[seed.source_id].sha256, size="any", n=1)
    workspace.manifest(GenerationRequest).append([request])
    with Image.open(io.BytesIO(workspace.blobs.read(source.sha256))) as image:
        width, height = image.size
    cid = candidate_id(request.request_id, 0)
    workspace.manifest(Candidate).append([Candidate(
        candidate_id=cid, request_id=request.request_id, index=0, source_id=seed.source_id,
        backend="test-variants", model="exact-copy", sha256=source.sha256, width=width,
        height=height, format="jpeg", created=scenario.all_candidates[0].created)])
    return cid


def test_an_exact_copy_of_a_test_image_is_flagged_and_reruns_use_the_cache(
        scenario: Scenario) -> None:
    ws = scenario.workspace
    test_id = sorted(scenario.leak_source.values())[-1]
    source = {s.source_id: s for s in ws.manifest(SourceImage)}[test_id]
    cid = _add_exact_copy_of(ws, scenario, source)
    run = compute_signals(ws, PARAMS)
    assert (run.computed, run.unchanged) == (1, 32)
    record = latest_signals(ws)[cid]
    assert (record.nearest_test_id, record.nearest_test_distance) == (test_id, 0)
    assert "test-leak" in record.flags
    cache = ws.root / "cache" / "signals" / "phash-64.json"
    assert source.sha256 in json.loads(cache.read_text())
    # New parameters re-measure every candidate, but the test-image hashes come from the cache:
    # with a test image's bytes gone, only the cache can still know its hash.
    others = [s for s in ws.manifest(SourceImage) if s.sha256 and s.source_id != test_id
              and s.source_id not in {x.source_id for x in scenario.seeds}]
    gone = others[0].sha256
    assert gone is not None and gone in json.loads(cache.read_text())
    blob = ws.blobs.path(gone)
    blob.chmod(0o644)
    blob.unlink()
    rerun = compute_signals(ws, SignalsParams(max_ita_delta=20.0))
    assert (rerun.computed, rerun.unchanged) == (33, 0)
    assert compute_signals(ws, SignalsParams(max_ita_delta=20.0)).computed == 0


def test_missing_request_is_named(scenario: Scenario) -> None:
    ws = scenario.workspace
    requests = ws.manifest(GenerationRequest).read()
    ws.manifest(GenerationRequest).rewrite(requests[1:])
    ws.manifest(CandidateSignals).path.unlink()
    with pytest.raises(MissingInputError, match=r"its request [0-9a-f]{64} is not in"):
        compute_signals(ws, PARAMS)


def test_cli_signals_and_params_section(scenario: Scenario, tmp_path: Path) -> None:
    ws = scenario.workspace
    ws.manifest(CandidateSignals).path.unlink()
    params = tmp_path / "params.yaml"
    params.write_text("signals:\n  leak_max_distance: 3\n  max_ita_delta: 12.5\n")
    result = CliRunner().invoke(app, ["curate", "signals", "-w", str(ws.root),
                                      "--params", str(params)])
    assert result.exit_code == 0, result.output
    assert "32 candidates measured, 0 already up to date" in result.output
    assert re.search(r"test-leak 4\b", result.output), result.output
    assert len(latest_signals(ws)) == 32
    params.write_text("signals:\n  leak_max_distanse: 3\n")
    with pytest.raises(RecordError, match="leak_max_distanse"):
        load_section(params, "signals", SignalsParams)
    repo_params = Path(__file__).resolve().parents[2] / "params.yaml"
    assert load_section(repo_params, "signals", SignalsParams) == SignalsParams()
