"""Where the backbone runs and in which compute type, decided from the hardware at hand.

A :class:`HardwareCapability` is what a probe found: torch's CPU capability (``AVX2``,
``AVX512``, ...; it does not say whether the CPU computes bf16 natively), the CPU's bf16 and
AMX flags, a CUDA GPU (its name, whether it supports bf16) and Apple MPS.
:func:`probe_hardware` reads them from torch and ``/proc/cpuinfo``; the decisions
(:func:`resolve_device`, :func:`choose_dtype`) are pure functions of a capability, so tests
give them any machine.

``dtype: auto`` (measured in BENCHMARKS.md):

- CPU: bf16 only where the CPU has native bf16 (AVX-512 BF16 or AMX) *and* the backbone's
  bf16 accuracy check holds; otherwise fp32 (bf16 autocast was 10.6x slower than fp32 for
  VGG16 on an AVX2-only CPU, 2.6x faster on one with AVX-512 BF16);
- CUDA: bf16 where the GPU supports it and the backbone's check holds; else fp16, kept only
  when the first batch's features agree with fp32 (:func:`confirm_reduced_precision`); else
  fp32;
- Apple MPS: fp32 (reduced precision there is not measured for these backbones).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..errors import InputError

__all__ = [
    "BF16_FLAGS",
    "FEATURE_TOLERANCE",
    "AccuracyCheck",
    "ComputeChoice",
    "DeviceName",
    "HardwareCapability",
    "check_request",
    "choose_dtype",
    "confirm_reduced_precision",
    "cpu_flags_from_cpuinfo",
    "probe_hardware",
    "resolve_device",
]

DeviceName = Literal["cpu", "cuda", "mps"]
#: /proc/cpuinfo flags of native bf16 compute (AVX-512 BF16; AMX tiles with bf16)
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
_REPORTED_FLAGS = ("avx512_bf16", "amx_bf16", "amx_tile")
#: the largest ‖f - f_fp32‖ / ‖f_fp32‖ over the first batch for which fp16 is kept
FEATURE_TOLERANCE = 0.01
_AVX2_SLOWDOWN = ("bf16 autocast ran VGG16 10.6x slower than fp32 on such a CPU "
                  "(BENCHMARKS.md)")


@dataclass(frozen=True)
class HardwareCapability:
    """What the evaluation can run on (see :func:`probe_hardware`)."""

    cpu_capability: str  # torch.backends.cpu.get_cpu_capability(): DEFAULT, AVX2, AVX512, ...
    cpu_flags: frozenset[str] | None  # bf16/AMX flags present; None: unknown on this system
    cuda_name: str | None = None  # the first CUDA GPU; None: no CUDA device
    cuda_bf16: bool = False
    mps: bool = False
    torch_version: str = ""

    @property
    def native_cpu_bf16(self) -> bool | None:
        """Whether the CPU computes bf16 natively; None when its flags are unknown."""
        if self.cpu_flags is None:
            return None
        return any(flag in self.cpu_flags for flag in BF16_FLAGS)

    def cpu_description(self) -> str:
        if self.cpu_flags is None:
            return f"{self.cpu_capability}, bf16 flags unknown"
        flags = [f for f in _REPORTED_FLAGS if f in self.cpu_flags]
        return f"{self.cpu_capability}, {'+'.join(flags) if flags else 'no native bf16'}"

    def device_detail(self, device: DeviceName) -> str:
        """What computes on ``device``: the GPU's name, or the CPU's capability."""
        if device == "cuda":
            return self.cuda_name or "CUDA"
        if device == "mps":
            return "Apple MPS"
        return f"CPU {self.cpu_description()}"


@dataclass(frozen=True)
class AccuracyCheck:
    """A backbone's measured bf16 check: does bf16 keep its features (and decisions)?"""

    holds: bool
    evidence: str  # what was measured, for the reason printed and recorded


@dataclass(frozen=True)
class ComputeChoice:
    """The compute type chosen, and why; ``verify``: keep it only if the first batch agrees
    with fp32 (:func:`confirm_reduced_precision`)."""

    dtype: str
    reason: str
    verify: bool = False


def cpu_flags_from_cpuinfo(text: str) -> frozenset[str] | None:
    """The bf16/AMX flags of the first ``flags`` line of a /proc/cpuinfo; None without one."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(f for f in value.split() if f in _REPORTED_FLAGS)
    return None


def probe_hardware(cpuinfo: Path = Path("/proc/cpuinfo")) -> HardwareCapability:
    """The real probe: torch's CPU capability, ``cpuinfo``'s flags (else torch's own bf16
    and AMX checks, where this torch has them), CUDA and MPS as torch sees them."""
    import torch

    try:
        flags = cpu_flags_from_cpuinfo(cpuinfo.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        flags = None
    if flags is None:
        flags = _torch_cpu_flags(torch)
    cuda = torch.cuda.is_available()
    return HardwareCapability(
        cpu_capability=str(torch.backends.cpu.get_cpu_capability()),
        cpu_flags=flags,
        cuda_name=torch.cuda.get_device_name(0) if cuda else None,
        cuda_bf16=bool(cuda and torch.cuda.is_bf16_supported()),
        mps=bool(torch.backends.mps.is_available()),
        torch_version=str(torch.__version__))


def _torch_cpu_flags(torch: object) -> frozenset[str] | None:
    """torch.cpu's private feature checks (no /proc/cpuinfo: macOS, Windows)."""
    cpu = getattr(torch, "cpu", None)
    bf16 = getattr(cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(cpu, "_is_amx_tile_supported", None)
    if bf16 is None or amx is None:
        return None
    found = {"avx512_bf16"} if bf16() else set()
    return frozenset(found | ({"amx_bf16", "amx_tile"} if amx() else set()))


def resolve_device(requested: str, hardware: HardwareCapability) -> tuple[DeviceName, str]:
    """The device to run the backbone on, and why; refuses one that is not there."""
    if requested == "auto":
        if hardware.cuda_name is not None:
            return "cuda", f"auto: CUDA GPU {hardware.cuda_name} found"
        if hardware.mps:
            return "mps", "auto: Apple MPS found (no CUDA GPU)"
        return "cpu", "auto: no CUDA GPU or Apple MPS found"
    if requested == "cuda" and hardware.cuda_name is None:
        raise InputError(
            f"--device cuda, but torch {hardware.torch_version} finds no CUDA GPU",
            fix="use --device auto or cpu, or install a CUDA build of torch (the pinned "
                "version) on a machine with an NVIDIA GPU and its driver")
    if requested == "mps" and not hardware.mps:
        raise InputError(f"--device mps, but torch {hardware.torch_version} finds no Apple "
                         "MPS device", fix="use --device auto or cpu")
    if requested not in ("cpu", "cuda", "mps"):
        raise InputError(f"unknown device {requested!r}", fix="use auto, cpu, cuda or mps")
    device: DeviceName = "cuda" if requested == "cuda" else (
        "mps" if requested == "mps" else "cpu")
    return device, "asked for"


def check_request(device: str, dtype: str, hardware: HardwareCapability) -> None:
    """Refuse, before any work, a device that is not there or a dtype it cannot run."""
    resolved, _ = resolve_device(device, hardware)
    if dtype != "auto":
        _explicit(dtype, resolved, hardware)


def choose_dtype(requested: str, device: DeviceName, hardware: HardwareCapability,
                 bf16: AccuracyCheck) -> ComputeChoice:
    """The backbone's compute type on ``device`` (see the module doc), and why."""
    if requested != "auto":
        return _explicit(requested, device, hardware)
    if device == "cuda":
        return _auto_cuda(hardware, bf16)
    if device == "mps":
        return ComputeChoice("fp32", "auto: reduced precision on Apple MPS is not measured "
                             "for these backbones")
    native = hardware.native_cpu_bf16
    cpu = f"this CPU ({hardware.cpu_description()})"
    if native is None:
        return ComputeChoice("fp32", f"auto: whether {cpu} computes bf16 natively is "
                             "unknown")
    if not native:
        return ComputeChoice("fp32", f"auto: {cpu} has no native bf16 (AVX-512 BF16 or "
                             f"AMX); {_AVX2_SLOWDOWN}")
    if not bf16.holds:
        return ComputeChoice("fp32", f"auto: {cpu} computes bf16 natively, but "
                             f"{bf16.evidence}")
    return ComputeChoice("bf16", f"auto: {cpu} computes bf16 natively and {bf16.evidence}")


def _auto_cuda(hardware: HardwareCapability, bf16: AccuracyCheck) -> ComputeChoice:
    gpu = hardware.cuda_name or "the CUDA GPU"
    if hardware.cuda_bf16 and bf16.holds:
        return ComputeChoice("bf16", f"auto: {gpu} supports bf16 and {bf16.evidence}")
    why = (f"{gpu} has no bf16" if not hardware.cuda_bf16 else
           f"{gpu} supports bf16, but {bf16.evidence}")
    return ComputeChoice("fp16", f"auto: {why}; fp16 if the first batch's features agree with "
                         f"fp32 within {FEATURE_TOLERANCE:.0%}", verify=True)


def _explicit(requested: str, device: DeviceName, hardware: HardwareCapability
              ) -> ComputeChoice:
    if requested == "fp16" and device == "cpu":
        raise InputError("dtype fp16 on the CPU (fp16 autocast is for GPUs)",
                         fix="use --dtype auto, fp32 or bf16 on the CPU, or --device cuda")
    if requested == "bf16" and device == "cuda" and not hardware.cuda_bf16:
        raise InputError(f"dtype bf16, but {hardware.cuda_name} does not support bf16",
                         fix="use --dtype auto (fp16 with a check) or fp32 on this GPU")
    if requested not in ("fp32", "bf16", "fp16"):
        raise InputError(f"unknown dtype {requested!r}", fix="use auto, fp32, bf16 or fp16")
    reason = "asked for"
    if requested == "bf16" and device == "cpu" and hardware.native_cpu_bf16 is False:
        reason += (f"; this CPU ({hardware.cpu_description()}) has no native bf16: "
                   f"{_AVX2_SLOWDOWN}")
    return ComputeChoice(requested, reason)


def confirm_reduced_precision(choice: ComputeChoice, error: float) -> ComputeChoice:
    """Keep a ``verify`` choice when the first batch's largest relative feature error
    against fp32 is finite and within :data:`FEATURE_TOLERANCE`; else fall back to fp32."""
    if not choice.verify:
        return choice
    measured = f"the first batch's features differ from fp32 by {error:.2g} (max relative)"
    if error == error and error <= FEATURE_TOLERANCE:  # error == error: not NaN
        return replace(choice, reason=f"{choice.reason}: {measured}", verify=False)
    return ComputeChoice("fp32", f"{choice.reason}: {measured}, over the tolerance: fp32")
