"""The dataset card (README.md: YAML header + prose) and CHANGELOG.md, from jinja2 templates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import jinja2
from datasets import DatasetInfo, Features
from datasets.info import DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from huggingface_hub import DatasetCardData

from .._paper import PAPER_CITATION
from ..schemas import ReleaseEvaluation
from ._escape import md_text
from ._facts import ConfigInfo, ReleaseFacts

__all__ = ["LICENSE_ID", "SOURCE_CITATION", "CardInput", "render_card", "render_changelog"]

LICENSE_ID = "cc-by-nc-sa-3.0"
LICENSE_URL = "https://creativecommons.org/licenses/by-nc-sa/3.0/"
SOURCE_CITATION = (
    "Groh M, Harris C, Soenksen L, Lau F, Han R, Kim A, Koochek A, Badri O. Evaluating deep "
    "neural networks trained on clinical images in dermatology with the Fitzpatrick 17k "
    "dataset. CVPR Workshops (ISIC), 2021."
)
TAGS = ["dermatology", "medical", "synthetic", "skin-tone", "fitzpatrick-skin-type",
        "data-augmentation", "provenance", "fitzpatrick17k"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("dermforge.cards", "templates"),
    autoescape=False,  # noqa: S701 - Markdown, not HTML
    keep_trailing_newline=True,
    trim_blocks=False,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class CardInput:
    """Everything the card, changelog and Croissant say about one release."""

    name: str
    pretty_name: str
    version: str
    previous: str | None
    created: datetime
    dermforge_version: str
    homepage: str
    creator: str
    keep_per_seed: int
    facts: ReleaseFacts
    configs: Sequence[ConfigInfo]  # the default first
    features: dict[str, Features]
    changelog: Sequence[str]  # this version's entry
    #: the reference evaluation attached by `dermforge attach`; None: unvalidated
    evaluation: ReleaseEvaluation | None = None

    @property
    def created_date(self) -> str:
        return self.created.date().isoformat()


def size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "n>1T" if n > 10**12 else "10M<n<100M"


def card_yaml(card: CardInput) -> str:
    data = DatasetCardData(
        license=LICENSE_ID,
        pretty_name=card.pretty_name,
        language=["en"],
        task_categories=["image-classification"],
        size_categories=[size_category(card.facts.synthetic)],
        annotations_creators=_annotation_creators(card.facts),
        source_datasets=["extended"],
        tags=TAGS,
        configs=[{
            "config_name": c.name,
            "data_files": [{"split": "train", "path": f"data/{c.name}/train-*.parquet"}],
            **({"default": True} if i == 0 else {}),
        } for i, c in enumerate(card.configs)],
    )
    infos = {}
    for c in card.configs:
        splits = SplitDict()
        splits.add(SplitInfo(name="train", num_bytes=c.num_bytes, num_examples=c.rows))
        infos[c.name] = DatasetInfo(features=card.features[c.name], splits=splits,
                                    download_size=c.download_size, dataset_size=c.num_bytes)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    text = data.to_yaml()
    return text if text.endswith("\n") else text + "\n"


def _annotation_creators(facts: ReleaseFacts) -> list[str]:
    kinds = []
    if facts.human_reviewers:
        kinds.append("expert-generated")
    if facts.automatic_verdicts:
        kinds.append("machine-generated")
    return kinds or ["no-annotation"]


def _counted(counter: Counter[str]) -> str:
    """``name (count), …`` with every name escaped (names may come from reviewers)."""
    return ", ".join(f"{md_text(k)} ({n})" for k, n in sorted(counter.items())) or "none"


def render_card(card: CardInput) -> str:
    facts = card.facts
    return _ENV.get_template("README.md.j2").render(
        card_yaml=card_yaml(card),
        pretty_name=card.pretty_name,
        version=card.version,
        previous=card.previous,
        created_date=card.created_date,
        dermforge_version=card.dermforge_version,
        facts=facts,
        configs=card.configs,
        automatic_reviewers=[md_text(r) for r in sorted(facts.reviewers)
                             if r.startswith("auto:")],
        sampling=sorted(facts.sampling.items()),
        crop_methods=_counted(facts.crop_methods),
        mask_methods=_counted(facts.mask_methods),
        templates=_counted(facts.templates),
        generators=", ".join(f"{b} / {m} ({n})"
                             for (b, m), n in sorted(facts.generators.items())) or "none",
        reviewers=_counted(facts.reviewers),
        keep_per_seed=card.keep_per_seed,
        seeds_total=sum(facts.seeds.values()),
        conditions_present=facts.present_conditions(),
        paper_citation=PAPER_CITATION,
        source_citation=SOURCE_CITATION,
        changelog=card.changelog,
        evaluation=_validation(card.evaluation),
    )


def _validation(evaluation: ReleaseEvaluation | None) -> dict[str, object] | None:
    """What the card's validation section shows (reasons and names escaped)."""
    if evaluation is None:
        return None
    e = evaluation
    return {
        "e": e,
        "backbone": md_text(e.backbone), "weights": md_text(e.weights),
        "selection": md_text(e.selection), "dtype": md_text(e.dtype),
        "random_weights": e.weights.split(":", 1)[0] == "random",
        "generators": ", ".join(md_text(g) for g in e.generators) or "none",
        "mean_abs_diff": "n/a" if e.mean_abs_diff is None else f"{e.mean_abs_diff:.3f}",
        "missing": [(md_text(c), md_text(r)) for c, r in
                    sorted(e.not_computable_conditions.items())],
    }


def render_changelog(card: CardInput, previous_changelog: str) -> str:
    """This version's entry on top of the previous release's CHANGELOG.md sections."""
    earlier = []
    if "\n## " in previous_changelog:
        earlier = [previous_changelog[previous_changelog.index("\n## ") + 1:].rstrip("\n")
                   + "\n"]
    return _ENV.get_template("CHANGELOG.md.j2").render(
        name=card.name, version=card.version, created_date=card.created_date,
        changelog=card.changelog, earlier=earlier)
