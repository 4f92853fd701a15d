"""Frozen-backbone features: computed in batches, stored on disk, keyed by everything that
changes them.

The cache folder of a *feature space* (backbone, weights, compute dtype, memory format, image
size, transform version, augmentation seed) is named by the sha256 of that description, which
is written beside the features as ``space.json``. Inside it one ``.npy`` per image and view:
``<sha256[:2]>/<sha256>.<view>.npy`` where view is ``test`` or ``train<v>``. Writes are atomic,
so an interrupted fill resumes where it stopped.
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
    "fill_cache",
    "missing_views",
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

    def key(self) -> str:
        return sha256_of_canonical(asdict(self))[:24]


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


class Extractor:
    """Runs a backbone's trunk in inference: bf16 autocast and channels-last if asked."""

    def __init__(self, backbone: Backbone, dtype: str, channels_last: bool) -> None:
        self.trunk = backbone.trunk.eval()
        self.bf16 = dtype == "bf16"
        self.channels_last = channels_last
        if channels_last:
            self.trunk = self.trunk.to(memory_format=torch.channels_last)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else nullcontext())
        with torch.no_grad(), autocast:
            features: torch.Tensor = self.trunk(images)
            return features.to(torch.float32)


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
