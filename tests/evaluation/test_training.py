"""Training: the cached path equals the exact one, the recipe's selection and sampler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dermforge.evaluation import EvaluationResult, ViewMaker, evaluate_release
from dermforge.evaluation._training import Chooser, _sampler
from evaluation.release_fixture import FixtureRelease, small_config


def _files(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*.npy")}


@pytest.fixture(scope="module")
def runs(release: FixtureRelease, tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, EvaluationResult | Path]:
    """The same reduced grid, cached (views = epochs) and exact, fp32."""
    cache = tmp_path_factory.mktemp("cache")
    config = small_config(doses=(2,), synthetic=2)
    cached = evaluate_release(release.release, release.images, config, cache_dir=cache)
    exact = evaluate_release(release.release, release.images,
                             config.model_copy(update={"cache": "exact"}), cache_dir=cache)
    return {"cached": cached, "exact": exact, "cache": cache}


def test_cached_and_exact_give_the_same_logits(runs) -> None:  # type: ignore[no-untyped-def]
    cached, exact = runs["cached"], runs["exact"]
    assert len(cached.outcomes) == len(exact.outcomes) == 6
    for a, b in zip(cached.outcomes, exact.outcomes, strict=True):
        assert a.run_id == b.run_id and a.selected_epoch == b.selected_epoch
        torch.testing.assert_close(torch.tensor(a.log_probs), torch.tensor(b.log_probs),
                                   rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(torch.tensor(a.train_losses), torch.tensor(b.train_losses),
                                   rtol=1e-4, atol=1e-5)
        assert a.predictions == b.predictions


def test_training_changes_the_head(runs) -> None:  # type: ignore[no-untyped-def]
    """Not vacuous: runs with other training images give other logits."""
    outcomes = runs["cached"].outcomes
    assert outcomes[0].log_probs != outcomes[1].log_probs
    assert all(len(o.train_losses) == 2 for o in outcomes)


def test_a_second_run_reuses_every_cached_feature(  # type: ignore[no-untyped-def]
        runs, release: FixtureRelease) -> None:
    cache = runs["cache"]
    before = _files(cache)
    assert before
    again = evaluate_release(release.release, release.images,
                             small_config(doses=(2,), synthetic=2, seed=7), cache_dir=cache)
    assert _files(cache) == before  # nothing recomputed or rewritten
    assert again.outcomes[0].seed == 7
    fp16 = small_config(doses=(2,), synthetic=2, dtype="bf16")
    evaluate_release(release.release, release.images, fp16, cache_dir=cache)
    spaces = sorted(p.name for p in cache.iterdir())
    assert len(spaces) == 2 and all(s.startswith("vgg16-") for s in spaces)


def test_views_are_reproducible_and_distinct() -> None:
    from PIL import Image

    image = Image.new("RGB", (60, 48), (120, 40, 200))
    for x in range(60):
        image.putpixel((x, x % 48), (255, 255, 255))
    views = ViewMaker(32, augmentation_seed=0)
    first = views.train(image, "ab" * 32, 0)
    assert first.shape == (3, 32, 32)
    assert torch.equal(first, views.train(image, "ab" * 32, 0))
    assert not torch.equal(first, views.train(image, "ab" * 32, 1))
    assert not torch.equal(first, ViewMaker(32, augmentation_seed=1).train(image, "ab" * 32, 0))
    state = torch.random.get_rng_state()
    views.train(image, "cd" * 32, 3)
    assert torch.equal(state, torch.random.get_rng_state())  # dropout's RNG is untouched
    assert views.test(image).shape == (3, 32, 32)


def test_faithful_selection_reproduces_the_authors_rule() -> None:
    chooser = Chooser("faithful", after=10, epochs=20)
    losses = [5.0 - 0.1 * e for e in range(11)] + [4.1, 3.9, 3.95, 3.8] + [4.0] * 5
    kept = [e for e, loss in enumerate(losses) if chooser.offer(e, loss)]
    assert kept == [12, 14] and chooser.selected == 14
    stuck = Chooser("faithful", after=10, epochs=20)
    assert not any(stuck.offer(e, 1.0 if e <= 10 else 2.0) for e in range(20))
    assert stuck.selected is None  # the script then returns the untrained head


def test_clean_selection_keeps_the_best_epoch_after_the_cut() -> None:
    chooser = Chooser("clean", after=10, epochs=20)
    losses = [0.1] * 11 + [2.0, 1.5, 1.7] + [1.6] * 6
    assert [e for e, loss in enumerate(losses) if chooser.offer(e, loss)] == [11, 12]
    short = Chooser("clean", after=10, epochs=3)
    assert [e for e, loss in enumerate([3.0, 1.0, 2.0]) if short.offer(e, loss)] == [0, 1]


def test_the_sampler_balances_the_classes() -> None:
    targets = torch.tensor([0] * 900 + [1] * 90 + [2] * 10)
    draws = torch.bincount(targets[list(_sampler(targets, 3, seed=0))], minlength=3)
    assert draws.sum() == 1000
    assert all(abs(int(d) - 333) < 60 for d in draws)
    assert list(_sampler(targets, 3, seed=0)) == list(_sampler(targets, 3, seed=0))


def test_repeats_report_mean_and_spread(release: FixtureRelease, tmp_path: Path) -> None:
    config = small_config(doses=(2,), synthetic=2, repeats=2, conditions=("squamous cell "
                                                                           "carcinoma",))
    result = evaluate_release(release.release, release.images, config, cache_dir=tmp_path)
    assert {o.seed for o in result.outcomes} == {0, 1}
    cell = result.cell("train-I-II/fitz_only", "folliculitis", "III-IV")
    assert cell is not None and cell.repeats == 2 and len(cell.per_repeat) == 2
    assert cell.accuracy == pytest.approx(sum(cell.per_repeat) / 2)


def test_auto_dtype_is_the_backbones_measured_choice(release: FixtureRelease,
                                                     tmp_path: Path) -> None:
    config = small_config(backbone="efficientnet-lite0", dtype="auto", doses=(2,), synthetic=2,
                          conditions=("squamous cell carcinoma",))
    result = evaluate_release(release.release, release.images, config, cache_dir=tmp_path)
    assert result.backbone.dtype == "fp32" and result.describe()["dtype"] == "fp32"
    space = json.loads(next(tmp_path.glob("*/space.json")).read_text())
    assert space["dtype"] == "fp32"
