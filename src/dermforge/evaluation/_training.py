"""One training run of the recipe on frozen-backbone features.

The trainable head is Linear(D, 256) → ReLU → Dropout(0.4) → Linear(256, classes) →
LogSoftmax, after the backbone's frozen ``tail`` (for VGG16 the classifier's Dropout → Linear →
ReLU → Dropout, active in training mode as in the authors' script). Adam (lr 1e-3),
StepLR(7, 0.1) stepped at the start of every epoch (where the script steps it), NLL loss, a
WeightedRandomSampler (weight 1/count of the class, len(train) draws with replacement) and
batches of 256. Selection keeps the head with the lowest loss on the selection images after
``select_after_epoch``: ``faithful`` reproduces the script exactly, including that it keeps the
untrained head when no later epoch beats epoch 10's loss; ``clean`` keeps the best epoch after
that point (or the best overall when fewer epochs ran).

A :class:`FeatureSource` gives the trunk's features: :class:`CachedSource` reads precomputed
views (epoch e uses view e mod K); :class:`ExactSource` recomputes the trunk on view e of
every image in every epoch. With K ≥ epochs both give the same numbers.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from PIL import Image
from torch import nn
from torch.utils.data import WeightedRandomSampler

from ._config import EvaluationConfig
from ._features import Extractor
from ._transforms import ViewMaker

__all__ = [
    "CachedSource",
    "Chooser",
    "ExactSource",
    "FeatureSource",
    "TrainedRun",
    "make_head",
    "train_run",
]


class FeatureSource(Protocol):
    def train_features(self, items: Sequence[str], epoch: int) -> torch.Tensor: ...

    def eval_embeddings(self, items: tuple[str, ...], tail: nn.Module) -> torch.Tensor: ...


class CachedSource:
    """Features held in memory: ``train[item]`` is (views, D), ``test[item]`` is (D,)."""

    def __init__(self, train: Mapping[str, torch.Tensor], test: Mapping[str, torch.Tensor]) -> None:
        self.train = train
        self.test = test
        self._memo: dict[tuple[str, ...], torch.Tensor] = {}

    def train_features(self, items: Sequence[str], epoch: int) -> torch.Tensor:
        return torch.stack([self.train[i][epoch % self.train[i].shape[0]] for i in items])

    def eval_embeddings(self, items: tuple[str, ...], tail: nn.Module) -> torch.Tensor:
        """The frozen tail in eval mode is deterministic: computed once per image set."""
        if items not in self._memo:
            tail.eval()
            with torch.no_grad():
                self._memo[items] = tail(torch.stack([self.test[i] for i in items]))
        return self._memo[items]


class ExactSource:
    """No cache: decode, transform and run the trunk again every time."""

    def __init__(self, extractor: Extractor, views: ViewMaker,
                 read: Callable[[str], tuple[bytes, str]],
                 decode: Callable[[bytes], Image.Image], batch_size: int) -> None:
        self.extractor, self.views, self.read = extractor, views, read
        self.decode, self.batch_size = decode, batch_size

    def _run(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        parts = [self.extractor(torch.stack(tensors[i:i + self.batch_size]))
                 for i in range(0, len(tensors), self.batch_size)]
        return torch.cat(parts)

    def train_features(self, items: Sequence[str], epoch: int) -> torch.Tensor:
        tensors = []
        for item in items:
            data, sha = self.read(item)
            tensors.append(self.views.train(self.decode(data), sha, epoch))
        return self._run(tensors)

    def eval_embeddings(self, items: tuple[str, ...], tail: nn.Module) -> torch.Tensor:
        features = self._run([self.views.test(self.decode(self.read(i)[0])) for i in items])
        tail.eval()
        with torch.no_grad():
            return tail(features)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class TrainedRun:
    selected_epoch: int | None  # None: the untrained head was kept (faithful rule)
    train_losses: tuple[float, ...]
    selection_losses: tuple[float, ...]
    test_log_probs: torch.Tensor
    seconds: float


def make_head(width: int, classes: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, 256), nn.ReLU(), nn.Dropout(0.4),
                         nn.Linear(256, classes), nn.LogSoftmax(dim=1))


def train_run(
    *,
    train: Sequence[str],
    selection: tuple[str, ...],
    test: tuple[str, ...],
    labels: Mapping[str, int],
    classes: int,
    source: FeatureSource,
    tail: nn.Module,
    width: int,
    config: EvaluationConfig,
    seed: int,
) -> TrainedRun:
    """Train the head on ``train``; return the selected head's log-probabilities on ``test``."""
    started = time.perf_counter()
    torch.manual_seed(seed)
    head = make_head(width, classes)
    optimizer = torch.optim.Adam(head.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, config.step_size, config.gamma)
    criterion = nn.NLLLoss()
    targets = torch.tensor([labels[i] for i in train])
    sampler = _sampler(targets, classes, seed)
    selection_targets = torch.tensor([labels[i] for i in selection])
    chooser = Chooser(config.selection, config.select_after_epoch, config.epochs)
    best_state = copy.deepcopy(head.state_dict())
    train_losses: list[float] = []
    selection_losses: list[float] = []
    for epoch in range(config.epochs):
        with warnings.catch_warnings():  # the script steps before the optimizer, as we do
            warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
            scheduler.step()
        train_losses.append(_epoch(epoch, list(sampler), train, targets, source, tail, head,
                                   optimizer, criterion, config.batch_size))
        head.eval()
        with torch.no_grad():
            loss = float(criterion(head(source.eval_embeddings(selection, tail)),
                                   selection_targets))
        selection_losses.append(loss)
        if chooser.offer(epoch, loss):
            best_state = copy.deepcopy(head.state_dict())
    head.load_state_dict(best_state)
    head.eval()
    with torch.no_grad():
        log_probs = head(source.eval_embeddings(test, tail))
    return TrainedRun(chooser.selected, tuple(train_losses), tuple(selection_losses), log_probs,
                      time.perf_counter() - started)


class Chooser:
    """Which epoch's head to keep, given each epoch's selection loss in turn."""

    def __init__(self, mode: str, after: int, epochs: int) -> None:
        self.mode, self.after = mode, after
        self.first = after + 1 if mode == "faithful" or epochs > after + 1 else 0
        self.best_loss = 0.0
        self.selected: int | None = None

    def offer(self, epoch: int, loss: float) -> bool:
        """True when this epoch's head becomes the one to keep."""
        if self.mode == "faithful":  # the script: best_loss tracks the loss until epoch 10
            if epoch <= self.after:
                self.best_loss = loss
                return False
            better = loss < self.best_loss
        else:
            if epoch < self.first:
                return False
            better = self.selected is None or loss < self.best_loss
        if better:
            self.best_loss, self.selected = loss, epoch
        return better


def _sampler(targets: torch.Tensor, classes: int, seed: int) -> WeightedRandomSampler:
    counts = torch.bincount(targets, minlength=classes).to(torch.float64)
    weights = (1.0 / counts.clamp(min=1))[targets]
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(weights.tolist(), num_samples=len(targets), replacement=True,
                                 generator=generator)


def _epoch(
    epoch: int,
    order: list[int],
    train: Sequence[str],
    targets: torch.Tensor,
    source: FeatureSource,
    tail: nn.Module,
    head: nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: nn.Module,
    batch_size: int,
) -> float:
    tail.train()
    head.train()
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        features = source.train_features([train[i] for i in batch], epoch)
        optimizer.zero_grad()
        loss = criterion(head(tail(features)), targets[batch])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total / len(order)
