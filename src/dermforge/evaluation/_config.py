"""The `evaluate` section of params.yaml: every choice of the reference evaluation.

The defaults are the recipe of Groh et al. 2021 as followed by Sagers et al. 2022
(../shared/reference/groh-2021-recipe.md) over the paper's grid (§2.4-2.5); the speed options
(``cache``, ``views``, ``dtype``) say how far a run departs from recomputing everything;
``device`` and ``dtype: auto`` are decided from the hardware (``_hardware.py``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from .._paper import PAPER_TABLE3_DOSES
from .._params import Params

__all__ = ["CacheMode", "Device", "Dtype", "EvaluationConfig", "Selection"]

Selection = Literal["faithful", "clean"]
CacheMode = Literal["cached", "exact"]
Dtype = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda", "mps"]


class EvaluationConfig(Params):
    """Parameters of one evaluation run (recorded in results.json beside every number)."""

    backbone: str = Field(default="vgg16", description="a name from list_backbones()")
    weights: str = Field(
        default="imagenet",
        description="imagenet (torchvision's weights API, or the packaged file for "
        "efficientnet-lite0), random (a fixed-seed initialisation: pipeline checks only), "
        "or the path of a local state_dict",
    )
    epochs: PositiveInt = Field(default=20, description="the authors ran `train.py 20 full`")
    batch_size: PositiveInt = 256
    learning_rate: float = Field(default=1e-3, gt=0, description="Adam's default")
    step_size: PositiveInt = Field(default=7, description="StepLR step, in epochs")
    gamma: float = Field(default=0.1, gt=0, le=1, description="StepLR factor")
    selection: Selection = Field(
        default="faithful",
        description="faithful: the authors' choice, the lowest loss on the TEST set after "
        "epoch 10 (peeks at the test data); clean: the lowest loss on a validation split "
        "carved from the training images",
    )
    select_after_epoch: NonNegativeInt = Field(
        default=10, description="epochs (0-based) up to this one are never selected")
    validation_fraction: float = Field(
        default=0.1, gt=0, lt=1,
        description="clean selection: share of each class's real training images held out")
    repeats: PositiveInt = Field(default=1, description="independent seeds per training run")
    seed: int = Field(default=0, description="first training seed; repeat r uses seed + r")
    augmentation_seed: int = Field(
        default=0, description="fixes the random training views (shared by every run)")
    cache: CacheMode = Field(
        default="cached",
        description="cached: frozen-backbone outputs on disk, computed once per view; "
        "exact: recompute the backbone on fresh views every epoch",
    )
    views: PositiveInt = Field(
        default=4,
        description="cached: random training views per image, cycled over the epochs "
        "(epoch e uses view e mod views; views >= epochs gives every epoch a fresh view)",
    )
    image_size: int = Field(default=224, ge=32, description="side of the network input")
    device: Device = Field(
        default="auto",
        description="where the backbone runs: auto (a CUDA GPU when torch finds one, else "
        "Apple MPS, else the CPU), cpu, cuda or mps; the trainable head always trains on "
        "the CPU",
    )
    dtype: Dtype = Field(
        default="auto",
        description="backbone compute type: fp32, bf16 or fp16 autocast, or auto, decided by "
        "the hardware: on the CPU bf16 only with native bf16 (AVX-512 BF16 or AMX) and when "
        "the backbone's bf16 check holds (vgg16: yes; efficientnet-lite0: no), else fp32; on "
        "CUDA bf16 where supported (and the check holds), else fp16 kept only if the first "
        "batch agrees with fp32, else fp32; on MPS fp32 (see BENCHMARKS.md); the trainable "
        "head always trains in fp32",
    )
    channels_last: bool = Field(default=True, description="channels-last memory format")
    feature_batch_size: PositiveInt = Field(default=32, description="images per backbone pass")
    conditions: tuple[str, ...] | None = Field(
        default=None, description="augmented conditions to evaluate (default: every one the "
        "release augments); the classifier always covers every class present")
    synthetic: PositiveInt = Field(
        default=32, description="synthetic images in the '+seed + synthetic' arm (Table 2)")
    doses: tuple[PositiveInt, ...] = Field(
        default=PAPER_TABLE3_DOSES, description="synthetic images per dose-response run")
    threads: PositiveInt | None = Field(default=None, description="torch CPU threads")

    @field_validator("doses")
    @classmethod
    def _sorted_unique(cls, doses: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(doses)))

    @model_validator(mode="after")
    def _selection_reachable(self) -> EvaluationConfig:
        if self.selection == "faithful" and self.epochs <= self.select_after_epoch + 1:
            raise ValueError(
                f"faithful selection only considers epochs after {self.select_after_epoch} "
                f"(0-based), but epochs is {self.epochs}: every run would return its untrained "
                "head, as the authors' script does; use at least "
                f"{self.select_after_epoch + 2} epochs, lower select_after_epoch, or "
                "selection 'clean'")
        return self

    def dose_list(self) -> tuple[int, ...]:
        """Every synthetic count the grid trains with (the doses and the Table 2 arm)."""
        return tuple(sorted({*self.doses, self.synthetic}))
