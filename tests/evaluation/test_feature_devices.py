"""Cached features record the device, its kind, the dtype and the torch version that computed
them; features of another are recomputed (with a note), never silently reused."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from dermforge.evaluation import HardwareCapability, evaluate_release
from evaluation.release_fixture import FixtureRelease, small_config

AVX2 = HardwareCapability("AVX2", frozenset())
AMX = HardwareCapability("AVX512", frozenset({"amx_bf16", "amx_tile"}))


def _files(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*.npy")}


def _spaces(cache: Path) -> dict[str, dict[str, object]]:
    return {p.parent.name: json.loads(p.read_text()) for p in cache.glob("*/space.json")}


def test_features_of_another_device_dtype_or_torch_are_recomputed_with_a_note(
        release: FixtureRelease, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    config = small_config(doses=(2,), synthetic=2, conditions=("squamous cell carcinoma",),
                          dtype="auto", device="auto")
    heard: list[str] = []
    first = evaluate_release(release.release, release.images, config, cache_dir=cache,
                             notes=heard.append, hardware=AVX2)
    assert heard == ["backbone vgg16 on cpu (CPU AVX2, no native bf16; auto: no CUDA GPU or "
                     f"Apple MPS found), fp32: {first.backbone.dtype_reason}"]
    [space] = _spaces(cache).values()
    assert {k: space[k] for k in ("device", "device_detail", "dtype", "torch")} == {
        "device": "cpu", "device_detail": "CPU AVX2, no native bf16", "dtype": "fp32",
        "torch": torch.__version__}
    # an older dermforge's cache of the same features: no device or torch recorded
    old = {k: v for k, v in space.items() if k not in ("device", "device_detail", "torch")}
    (cache / "vgg16-0123456789abcdef01234567").mkdir()
    (cache / "vgg16-0123456789abcdef01234567" / "space.json").write_text(json.dumps(old))
    before = _files(cache)

    heard.clear()
    second = evaluate_release(release.release, release.images, config, cache_dir=cache,
                              notes=heard.append, hardware=AMX)
    assert second.backbone.dtype == "bf16" and len(_spaces(cache)) == 3
    not_reused = [n for n in heard if n.startswith("feature cache:")]
    assert len(not_reused) == 2
    assert any(("features of vgg16 computed with device cpu, device_detail CPU AVX2, no native "
                f"bf16, dtype fp32, torch {torch.__version__} are not reused") in n
               for n in not_reused)
    assert any("device unrecorded, device_detail unrecorded, dtype fp32, torch unrecorded" in n
               for n in not_reused)
    assert all(f"with cpu (CPU AVX512, amx_bf16+amx_tile), bf16, torch {torch.__version__}"
               in n for n in not_reused)
    after = _files(cache)
    assert {p: after[p] for p in before} == before  # the first features are untouched
    assert len(after) == 2 * len(before)  # and the second set was computed anew

    heard.clear()
    evaluate_release(release.release, release.images, config, cache_dir=cache,
                     notes=heard.append, hardware=AVX2)
    assert len(heard) == 1 and _files(cache) == after  # its own features: reused, no note
    assert asdict(first.backbone) | {"dtype_reason": ""} != asdict(second.backbone)
