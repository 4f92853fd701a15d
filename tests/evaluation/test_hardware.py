"""Device and dtype decided by the hardware: every capability through the injectable probe
(a HardwareCapability given to the pure decisions), the backbone's bf16 veto, fp16's check."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dermforge.errors import InputError
from dermforge.evaluation import (
    AccuracyCheck,
    HardwareCapability,
    choose_dtype,
    create_backbone,
    probe_hardware,
    resolve_device,
)
from dermforge.evaluation._features import feature_error
from dermforge.evaluation._hardware import (
    FEATURE_TOLERANCE,
    ComputeChoice,
    confirm_reduced_precision,
    cpu_flags_from_cpuinfo,
)

HOLDS = AccuracyCheck(True, "bf16 kept the features")
FAILS = AccuracyCheck(False, "bf16 changed the top-1 class")

AVX2 = HardwareCapability("AVX2", frozenset())
AVX512 = HardwareCapability("AVX512", frozenset())
AVX512_BF16 = HardwareCapability("AVX512", frozenset({"avx512_bf16"}))
AMX = HardwareCapability("AVX512", frozenset({"amx_bf16", "amx_tile"}))
UNKNOWN = HardwareCapability("DEFAULT", None)
CUDA_BF16 = HardwareCapability("AVX2", frozenset(), cuda_name="NVIDIA H200", cuda_bf16=True)
CUDA_FP16 = HardwareCapability("AVX2", frozenset(), cuda_name="Tesla T4", cuda_bf16=False)
MPS = HardwareCapability("DEFAULT", None, mps=True)


def auto(hardware: HardwareCapability, check: AccuracyCheck = HOLDS) -> ComputeChoice:
    device, _ = resolve_device("auto", hardware)
    return choose_dtype("auto", device, hardware, check)


@pytest.mark.parametrize(("hardware", "dtype", "why"), [
    (AVX2, "fp32", "(AVX2, no native bf16) has no native bf16"),
    (AVX512, "fp32", "(AVX512, no native bf16) has no native bf16"),
    (AVX512_BF16, "bf16", "(AVX512, avx512_bf16) computes bf16 natively and bf16 kept"),
    (AMX, "bf16", "(AVX512, amx_bf16+amx_tile) computes bf16 natively and bf16 kept"),
    (UNKNOWN, "fp32", "computes bf16 natively is unknown"),
    (CUDA_BF16, "bf16", "NVIDIA H200 supports bf16 and bf16 kept"),
    (CUDA_FP16, "fp16", "Tesla T4 has no bf16; fp16 if the first batch's features agree"),
    (MPS, "fp32", "reduced precision on Apple MPS is not measured"),
])
def test_auto_dtype_follows_the_hardware(hardware: HardwareCapability, dtype: str,
                                         why: str) -> None:
    choice = auto(hardware)
    assert choice.dtype == dtype
    assert choice.reason.startswith("auto: ") and why in choice.reason
    assert choice.verify == (dtype == "fp16")


def test_the_avx2_reason_says_how_much_slower_bf16_was() -> None:
    assert "10.6x slower than fp32" in auto(AVX2).reason


@pytest.mark.parametrize("hardware", [AVX512_BF16, AMX])
def test_a_failed_accuracy_check_vetoes_bf16_on_a_native_bf16_cpu(
        hardware: HardwareCapability) -> None:
    choice = auto(hardware, FAILS)
    assert choice.dtype == "fp32"
    assert "computes bf16 natively, but bf16 changed the top-1 class" in choice.reason


def test_a_failed_accuracy_check_on_a_bf16_gpu_tries_fp16() -> None:
    choice = auto(CUDA_BF16, FAILS)
    assert (choice.dtype, choice.verify) == ("fp16", True)
    assert "supports bf16, but bf16 changed the top-1 class" in choice.reason


def test_the_backbones_carry_their_measured_checks() -> None:
    vgg = create_backbone("vgg16", weights="random", image_size=32).bf16_check
    lite = create_backbone("efficientnet-lite0", weights="random", image_size=32).bf16_check
    assert vgg.holds and not lite.holds
    assert auto(AMX, vgg).dtype == "bf16" and auto(AMX, lite).dtype == "fp32"
    assert auto(AVX2, vgg).dtype == "fp32"


def test_fp16_is_kept_only_when_the_first_batch_agrees() -> None:
    choice = auto(CUDA_FP16)
    kept = confirm_reduced_precision(choice, 0.002)
    assert (kept.dtype, kept.verify) == ("fp16", False)
    assert "differ from fp32 by 0.002" in kept.reason
    for error in (FEATURE_TOLERANCE * 2, float("inf"), float("nan")):
        fallen = confirm_reduced_precision(choice, error)
        assert fallen.dtype == "fp32" and "over the tolerance" in fallen.reason
    unchecked = auto(AMX)
    assert confirm_reduced_precision(unchecked, 1.0) is unchecked


def test_the_feature_check_measures_real_features() -> None:
    backbone = create_backbone("vgg16", weights="random", image_size=32)
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert feature_error(backbone, images, "fp32", True, "cpu") == 0.0
    bf16 = feature_error(backbone, images, "bf16", True, "cpu")
    assert 0.0 < bf16 < 0.05
    assert 0.0 < feature_error(backbone, images, "fp16", True, "cpu") < bf16


def test_devices() -> None:
    assert resolve_device("auto", CUDA_BF16) == ("cuda", "auto: CUDA GPU NVIDIA H200 found")
    assert resolve_device("auto", MPS)[0] == "mps"
    assert resolve_device("auto", AMX) == ("cpu", "auto: no CUDA GPU or Apple MPS found")
    assert resolve_device("cpu", CUDA_BF16) == ("cpu", "asked for")
    with pytest.raises(InputError, match=r"--device cuda, but torch .* finds no CUDA GPU") as exc:
        resolve_device("cuda", AMX)
    assert "--device auto or cpu" in str(exc.value.fix)
    with pytest.raises(InputError, match="no Apple MPS"):
        resolve_device("mps", CUDA_BF16)


def test_explicit_dtypes_are_honoured_or_refused_with_a_fix() -> None:
    assert choose_dtype("fp32", "cpu", AMX, HOLDS) == ComputeChoice("fp32", "asked for")
    slow = choose_dtype("bf16", "cpu", AVX2, HOLDS)
    assert slow.dtype == "bf16" and "has no native bf16" in slow.reason
    assert choose_dtype("bf16", "cpu", AMX, FAILS).reason == "asked for"
    with pytest.raises(InputError, match="fp16 on the CPU"):
        choose_dtype("fp16", "cpu", AMX, HOLDS)
    with pytest.raises(InputError, match="Tesla T4 does not support bf16"):
        choose_dtype("bf16", "cuda", CUDA_FP16, HOLDS)


CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu sse2 avx avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8
processor\t: 1
flags\t\t: fpu
"""


def test_cpuinfo_flags_are_read_from_the_first_processor() -> None:
    assert cpu_flags_from_cpuinfo(CPUINFO) == {"avx512_bf16", "amx_bf16", "amx_tile"}
    assert cpu_flags_from_cpuinfo("flags\t: fpu sse2 avx avx2 fma\n") == frozenset()
    assert cpu_flags_from_cpuinfo("Processor: ARMv8\n") is None


def test_the_real_probe_reads_torch_and_the_cpuinfo_it_is_given(tmp_path: Path) -> None:
    found = probe_hardware()
    assert found.cpu_capability == torch.backends.cpu.get_cpu_capability()
    assert found.torch_version == torch.__version__
    assert (found.cuda_name is not None) == torch.cuda.is_available()
    avx2_file = tmp_path / "cpuinfo"
    avx2_file.write_text("flags\t: fpu sse2 avx avx2 fma\n")
    assert probe_hardware(avx2_file).cpu_flags == frozenset()
    assert probe_hardware(avx2_file).native_cpu_bf16 is False
    # no cpuinfo (macOS, Windows): torch's own checks, where this torch has them
    assert probe_hardware(tmp_path / "missing").cpu_flags is not None


def test_a_missing_device_or_an_impossible_dtype_is_refused_before_any_work(
        tmp_path: Path) -> None:
    from dermforge.evaluation import evaluate_release
    from evaluation.release_fixture import small_config

    missing = tmp_path / "no-release"  # never read: the refusal comes first
    with pytest.raises(InputError, match="--device cuda, but torch"):
        evaluate_release(missing, tmp_path, small_config(device="cuda"), cache_dir=tmp_path,
                         hardware=AMX)
    with pytest.raises(InputError, match="fp16 on the CPU"):
        evaluate_release(missing, tmp_path, small_config(dtype="fp16"), cache_dir=tmp_path,
                         hardware=AMX)
