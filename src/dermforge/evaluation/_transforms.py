"""The recipe's image transforms, and reproducible random training views.

Train: RandomResizedCrop(256, scale=(0.8, 1.0)) → RandomRotation(15°) → ColorJitter() (default
arguments: no change) → RandomHorizontalFlip → CenterCrop(224) → ToTensor → Normalize(ImageNet).
Test: Resize(256) → CenterCrop(224) → ToTensor → Normalize. At another ``image_size`` s the
256 becomes round(s·256/224). View v of an image is drawn with its own seed, derived from the
augmentation seed, the image's sha256 and v, so the cached and the exact path see the same
pixels, and a view does not depend on which run asks for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import torch
from PIL import Image
from torchvision import transforms

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "TRANSFORM_VERSION",
    "ViewMaker",
    "test_transform",
    "train_transform",
    "view_seed",
]

#: Changes whenever the transforms change (part of every feature cache key).
TRANSFORM_VERSION = "groh2021-v1"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

Transform = Callable[[Image.Image], torch.Tensor]


def _outer(image_size: int) -> int:
    return round(image_size * 256 / 224)


def train_transform(image_size: int = 224) -> Transform:
    return transforms.Compose([  # type: ignore[no-any-return]
        transforms.RandomResizedCrop(size=_outer(image_size), scale=(0.8, 1.0)),
        transforms.RandomRotation(degrees=15),
        transforms.ColorJitter(),
        transforms.RandomHorizontalFlip(),
        transforms.CenterCrop(size=image_size),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def test_transform(image_size: int = 224) -> Transform:
    return transforms.Compose([  # type: ignore[no-any-return]
        transforms.Resize(size=_outer(image_size)),
        transforms.CenterCrop(size=image_size),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def view_seed(augmentation_seed: int, sha256: str, view: int) -> int:
    digest = hashlib.sha256(f"{augmentation_seed}:{sha256}:{view}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class ViewMaker:
    """Makes the test view and numbered training views of decoded images."""

    def __init__(self, image_size: int, augmentation_seed: int) -> None:
        self.image_size = image_size
        self.augmentation_seed = augmentation_seed
        self._train = train_transform(image_size)
        self._test = test_transform(image_size)

    def test(self, image: Image.Image) -> torch.Tensor:
        return self._test(image)

    def train(self, image: Image.Image, sha256: str, view: int) -> torch.Tensor:
        """Training view number ``view``: the same pixels every time it is asked for."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(view_seed(self.augmentation_seed, sha256, view))
            return self._train(image)
