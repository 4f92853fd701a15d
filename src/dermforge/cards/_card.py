"""The dataset card (README.md: YAML header + prose) and CHANGELOG.md, from jinja2 templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import jinja2
from datasets import DatasetInfo, Features
from datasets.info import DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from huggingface_hub import DatasetCardData

from .._references import FITZPATRICK17K, SAGERS_2022, bibtex_escape
from ..schemas import ReleaseEvaluation, ReleaseSigning
from ._escape import md_text
from ._facts import ConfigInfo, ReleaseFacts
from ._statements import (
    ai_disclosure,
    counted,
    marking,
    personal_information,
    source_sites,
    takedown_procedure,
)

__all__ = ["HUB_URL", "LICENSE_ID", "REPO_ID_PATTERN", "SIZE_CATEGORIES", "SOURCE_CITATION",
           "CardInput", "release_apa", "release_bibtex", "render_card", "render_changelog",
           "size_category"]

LICENSE_ID = "cc-by-nc-sa-3.0"
LICENSE_URL = "https://creativecommons.org/licenses/by-nc-sa/3.0/"
SOURCE_CITATION = FITZPATRICK17K.text()
HUB_URL = "https://huggingface.co"
#: a Hub repository id ORG/NAME (``publish --repo`` and ``build.repo_id``)
REPO_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*"
#: the Hub's ``size_categories`` values (huggingface_hub.DatasetCardData), smallest first
SIZE_CATEGORIES = ("n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M",
                   "100M<n<1B", "1B<n<10B", "10B<n<100B", "100B<n<1T", "n>1T")
#: ``source_datasets``: extended from Fitzpatrick 17k (not a Hub dataset: ``other-``)
SOURCE_DATASETS = ["extended|other-fitzpatrick17k"]
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
    # where the card sends users (build.repo_id, build.contact, build.takedown)
    repo_id: str
    contact: str
    takedown: str
    #: the reference evaluation attached by `dermforge attach`; None: unvalidated
    evaluation: ReleaseEvaluation | None = None
    #: how `dermforge sign` made this release (None: unsigned)
    signing: ReleaseSigning | None = None

    @property
    def created_date(self) -> str:
        return self.created.date().isoformat()


    @property
    def tag(self) -> str:
        """The tag `publish` creates for this version: what every load snippet pins."""
        return f"v{self.version}"

    @property
    def repo_url(self) -> str:
        return f"{HUB_URL}/datasets/{self.repo_id}"


def size_category(n: int) -> str:
    """The Hub's size category of ``n`` rows (1K = 1,000; a boundary goes up: 1000 → 1K<n<10K)."""
    for exponent, label in enumerate(SIZE_CATEGORIES[:-1], start=3):
        if n < 10**exponent:
            return label
    return SIZE_CATEGORIES[-1]


def card_yaml(card: CardInput) -> str:
    data = DatasetCardData(
        license=LICENSE_ID,
        pretty_name=card.pretty_name,
        language=["en"],
        task_categories=["image-classification"],
        size_categories=[size_category(max(c.rows for c in card.configs))],
        annotations_creators=card.facts.annotations_creators(),
        source_datasets=SOURCE_DATASETS,
        tags=TAGS,
        configs=[{
            "config_name": c.name,
            "data_files": [{"split": "train", "path": f"data/{c.name}/train-*.parquet"}],
            **({"default": True} if i == 0 else {}),
        } for i, c in enumerate(card.configs)] + [{
            # a deprecated name of the config: the same files, loadable for one more version
            "config_name": alias,
            "data_files": [{"split": "train", "path": f"data/{c.name}/train-*.parquet"}],
        } for c in card.configs for alias in c.aliases],
    )
    infos = {}
    for c in card.configs:
        splits = SplitDict()
        splits.add(SplitInfo(name="train", num_bytes=c.num_bytes, num_examples=c.rows))
        for name in (c.name, *c.aliases):
            infos[name] = DatasetInfo(features=card.features[c.name], splits=splits,
                                      download_size=c.download_size, dataset_size=c.num_bytes)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    text = data.to_yaml()
    return text if text.endswith("\n") else text + "\n"


def release_bibtex(card: CardInput) -> str:
    """A BibTeX ``@misc`` entry for this version of the dataset."""
    fields = {
        "author": f"{{{bibtex_escape(card.creator)}}}",  # an organisation, not a person
        "title": f"{{{bibtex_escape(card.pretty_name)}}}",
        "year": str(card.created.year), "version": card.version,
        "publisher": "Hugging Face", "url": f"{card.repo_url}/tree/{card.tag}",
        "note": f"Dataset {bibtex_escape(card.repo_id)}, revision {card.tag}",
    }
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
    return f"@misc{{{card.name}-{card.tag},\n{body}\n}}"


def release_apa(card: CardInput) -> str:
    return (f"{md_text(card.creator)}. ({card.created.year}). *{md_text(card.pretty_name)}* "
            f"(Version {card.version}) \\[Data set\\]. Hugging Face. "
            f"<{card.repo_url}/tree/{card.tag}>")


def _address(value: str) -> str:
    """A validated email address or https URL as a Markdown autolink."""
    return f"<{value}>"


def _annotations(facts: ReleaseFacts) -> str:
    """The card's annotations block: who decided the verdicts that count."""
    rows = "\n".join(f"| {q} | {n} |" for q, n in facts.qualification_lines())
    return (
        "**Who decided.** The verdict that counts for each candidate, by the qualification "
        "its reviewer stated (dermatologist, resident, other clinician, non-clinician; "
        "self-declared, not verified; \"not stated\" when none was given). The card's "
        "`annotations_creators` says `expert-generated` only when dermatologists or "
        "residents decided some verdicts.\n\n"
        "| Reviewer qualification | Deciding verdicts |\n|---|---|\n"
        + (rows or "| (no verdicts) | 0 |") + _team_lines(facts))


def _team_lines(facts: ReleaseFacts) -> str:
    """The rule that made the final decisions, and the reviewers' agreement when at least
    two of them decided some image."""
    from ..curation import RULE_TEXT

    text = ""
    for rule, n in sorted(facts.rules.items()):
        words = RULE_TEXT.get(rule, rule)  # type: ignore[call-overload]
        text += f"\n\n**Rule `{rule}`** ({n} rows): {words}."
    if facts.ratings:
        alpha = facts.agreement()
        shown = "undefined (every verdict was the same decision)" if alpha is None \
            else f"{alpha:.3f}"
        text += (f"\n\n**Agreement.** Krippendorff's alpha (nominal, accept/reject) between "
                 f"reviewers: {shown}, over {len(facts.ratings)} images that at least two "
                 "reviewers decided (each row's `verdicts` column lists them).")
    return text


def _deprecations(configs: Sequence[ConfigInfo]) -> str:
    """One note per deprecated config name that still loads."""
    return "\n".join(
        f"> **Deprecated:** the config name `{alias}` still loads `{c.name}` (the same files) "
        f"in this version and will be removed in the next; use `{c.name}`. Columns renamed "
        "since dermforge 0.1.0: `group` → `fst_group`, `seed_fitzpatrick` → `fitzpatrick`, "
        "`seed_sha256` → `source_sha256`; JSON columns now load as Python objects."
        for c in configs for alias in c.aliases)


def render_card(card: CardInput) -> str:
    facts = card.facts
    return _ENV.get_template("README.md.j2").render(
        card=card, card_yaml=card_yaml(card), facts=facts, configs=card.configs,
        automatic_reviewers=[md_text(r) for r in sorted(facts.reviewers)
                             if r.startswith("auto:")],
        sampling=sorted(facts.sampling.items()),
        crop_methods=counted(facts.crop_methods, md_text),
        mask_methods=counted(facts.mask_methods, md_text),
        templates=counted(facts.templates, md_text),
        embedded=counted(facts.embedded, md_text) if facts.embedded else None,
        generators=", ".join(f"{md_text(b)} / {md_text(m)} ({n})"
                             for (b, m), n in sorted(facts.generators.items())) or "none",
        reviewers=counted(facts.reviewers, md_text),
        seeds_total=sum(facts.seeds.values()),
        conditions_present=facts.present_conditions(),
        changelog=card.changelog,
        annotations=_annotations(facts),
        deprecations=_deprecations(card.configs),
        sources=source_sites(facts, md_text),
        personal=personal_information(facts, md_text),
        takedown=takedown_procedure(_address(card.takedown), card.repo_id),
        made_by=ai_disclosure(facts, md_text), marking=marking(),
        contact=_address(card.contact), takedown_address=_address(card.takedown),
        references=(SAGERS_2022, FITZPATRICK17K),
        bibtex=[SAGERS_2022.bibtex(), FITZPATRICK17K.bibtex(), release_bibtex(card)],
        release_apa=release_apa(card),
        local_dir=f"{card.name}-{card.version}", license_id=LICENSE_ID,
        evaluation=_validation(card.evaluation), signing=card.signing,
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
        "device": md_text(e.device_detail or e.device or "an unrecorded device"),
        "dtype_reason": md_text(e.dtype_reason, limit=400) if e.dtype_reason else None,
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
