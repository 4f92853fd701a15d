"""Frozen-backbone features: computed in batches, stored on disk, keyed by everything that
changes them.

The cache folder of a *feature space* (backbone, weights, compute dtype, memory format, image
size, transform version, augmentation seed, and the device, the device's kind — GPU name or CPU
capability — and the torch version that computed them) is named by the sha256 of that
description, which is written beside the features as ``space.json``. Features of another
device, dtype or torch are therefore never reused: they sit in another folder, and
:func:`other_spaces` finds them so that the run can say why it recomputes. Inside it one
``.npy`` per image and view: ``<sha256[:2]>/<sha256>.<view>.npy`` where view is ``test`` or
``train<v>``. Writes are atomic, so an interrupted fill resumes where it stopped.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .._atomic import atomic_write_text
from ..schemas import sha256_of_canonical
from ._backbones import Backbone
from ._transforms import TRANSFORM_VERSION, ViewMaker

__all__ = [
    "TEST_VIEW",
    "Extractor",
    "FeatureCache",
    "FeatureJob",
    "FeatureSpace",
    "feature_error",
    "fill_cache",
    "missing_views",
    "other_spaces",
    "view_tags",
]

TEST_VIEW = "test"


def view_tags(views: int) -> list[str]:
    return [f"train{v}" for v in range(views)]


@dataclass(frozen=True)
class FeatureSpace:
    backbone: str
    weights_id: str
    dtype: str
    channels_last: bool
    image_size: int
    augmentation_seed: int
    transform: str = TRANSFORM_VERSION
    device: str = "cpu"  # cpu, cuda or mps
    device_detail: str = ""  # the GPU's name, or the CPU's capability and bf16 flags
    torch: str = ""  # torch.__version__

    def key(self) -> str:
        return sha256_of_canonical(asdict(self))[:24]

    def computed_by(self) -> str:
        return f"{self.device} ({self.device_detail}), {self.dtype}, torch {self.torch}"


_COMPUTE_FIELDS = ("dtype", "device", "device_detail", "torch")


def other_spaces(root: Path, space: FeatureSpace) -> list[dict[str, object]]:
    """Descriptions (space.json) of cached features that match ``space`` in everything but
    the device, dtype or torch version that computed them (earlier caches lacked those)."""
    same = {k: v for k, v in asdict(space).items() if k not in _COMPUTE_FIELDS}
    found = []
    for path in sorted(root.glob(f"{space.backbone}-*/space.json")):
        if path.parent.name == f"{space.backbone}-{space.key()}":
            continue
        try:
            described = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(described, dict) and all(described.get(k) == v for k, v in same.items()):
            found.append(described)
    return found


class FeatureCache:
    """Features of one feature space under ``root``.

    Entries are written to a temp file and renamed (never half-written); they are not
    fsynced, since a cache can be recomputed: an entry whose size is not exactly that of a
    ``feature_dim`` float32 vector (e.g. after a crash) counts as missing and is recomputed.
    """

    def __init__(self, root: Path, space: FeatureSpace, feature_dim: int) -> None:
        self.space = space
        self.folder = root / f"{space.backbone}-{space.key()}"
        self.entry_bytes = len(_npy(torch.zeros(feature_dim)))
        description = self.folder / "space.json"
        if not description.is_file():
            atomic_write_text(description, json.dumps(asdict(space), indent=2) + "\n")

    def path(self, sha256: str, view: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}.{view}.npy"

    def has(self, sha256: str, view: str) -> bool:
        try:
            return self.path(sha256, view).stat().st_size == self.entry_bytes
        except FileNotFoundError:
            return False

    def load(self, sha256: str, view: str) -> torch.Tensor:
        return torch.from_numpy(np.load(self.path(sha256, view), allow_pickle=False))

    def save(self, sha256: str, view: str, features: torch.Tensor) -> None:
        path = self.path(sha256, view)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_npy(features))
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise


def _npy(features: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, features.detach().to(torch.float32).numpy(), allow_pickle=False)
    return buffer.getvalue()


_AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Extractor:
    """Runs a backbone's trunk in inference on ``device`` (its weights are moved there):
    bf16/fp16 autocast and channels-last if asked; features come back as fp32 on the CPU."""

    def __init__(self, backbone: Backbone, dtype: str, channels_last: bool,
                 device: str = "cpu") -> None:
        self.trunk = backbone.trunk.eval().to(device)
        self.dtype, self.device = dtype, device
        self.channels_last = channels_last
        if channels_last:
            self.trunk = self.trunk.to(memory_format=torch.channels_last)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        images = images.to(self.device)
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        low = _AUTOCAST.get(self.dtype)
        autocast = (nullcontext() if low is None
                    else torch.autocast(torch.device(self.device).type, dtype=low))
        with torch.no_grad(), autocast:
            features: torch.Tensor = self.trunk(images)
            return features.to(torch.float32).cpu()


def feature_error(backbone: Backbone, images: torch.Tensor, dtype: str, channels_last: bool,
                  device: str) -> float:
    """Largest ‖f_dtype − f_fp32‖ / ‖f_fp32‖ over ``images`` (inf/nan when fp16 overflows)."""
    reference = Extractor(backbone, "fp32", channels_last, device)(images)
    reduced = Extractor(backbone, dtype, channels_last, device)(images)
    scale = reference.norm(dim=1).clamp(min=1e-12)
    return float(((reduced - reference).norm(dim=1) / scale).max())


@dataclass(frozen=True)
class FeatureJob:
    """Views of one image still missing from the cache."""

    sha256: str
    views: tuple[str, ...]
    read: Callable[[], bytes]


def fill_cache(
    cache: FeatureCache,
    jobs: Iterable[FeatureJob],
    extractor: Extractor,
    views: ViewMaker,
    decode: Callable[[bytes], Image.Image],
    batch_size: int,
    on_image: Callable[[], None] | None = None,
) -> int:
    """Compute and store every missing view; return how many views were computed."""
    pending: list[tuple[str, str, torch.Tensor]] = []
    computed = 0

    def flush() -> None:
        nonlocal computed
        if pending:
            features = extractor(torch.stack([tensor for _, _, tensor in pending]))
            for (sha, view, _), row in zip(pending, features, strict=True):
                cache.save(sha, view, row)
            computed += len(pending)
            pending.clear()

    for job in jobs:
        image = decode(job.read())
        for view in job.views:
            tensor = (views.test(image) if view == TEST_VIEW
                      else views.train(image, job.sha256, int(view.removeprefix("train"))))
            pending.append((job.sha256, view, tensor))
            if len(pending) >= batch_size:
                flush()
        if on_image is not None:
            on_image()
    flush()
    return computed


def missing_views(cache: FeatureCache, sha256: str, wanted: Sequence[str]) -> tuple[str, ...]:
    return tuple(view for view in wanted if not cache.has(sha256, view))
