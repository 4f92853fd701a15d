"""The numbers a card shows, gathered row by row while the release is written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from ..schemas import (
    EXPERT_QUALIFICATIONS,
    FST_GROUPS,
    QUALIFICATIONS,
    SeedRow,
    SplitMembership,
)

__all__ = ["ConfigInfo", "ReleaseFacts"]

_ROMAN = ("I", "II", "III", "IV", "V", "VI")
#: how the card names a person's verdict whose reviewer stated no qualification
NOT_STATED = "not stated"


def _host(url: str | None) -> str:
    host = urlsplit(url).hostname if url else None
    return (host or "no source URL").removeprefix("www.")


class CountedVerdict(Protocol):
    """What the card's agreement reads of a row's verdict (a ``RowVerdict`` has it)."""

    @property
    def reviewer(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def decision(self) -> str: ...


class CountedRow(Protocol):
    """What :meth:`ReleaseFacts.add_row` reads of a row (a ``ReleaseRow`` has it all)."""

    @property
    def image_id(self) -> str: ...
    @property
    def condition(self) -> str: ...
    @property
    def fst_group(self) -> str: ...
    @property
    def fitzpatrick(self) -> int: ...
    @property
    def seed_id(self) -> str | None: ...
    @property
    def backend(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def prompt_template_version(self) -> str | None: ...
    @property
    def generation_metadata(self) -> Mapping[str, object]: ...
    @property
    def generator_metadata(self) -> Mapping[str, object] | None: ...
    @property
    def verdict(self) -> str | None: ...
    @property
    def reviewer(self) -> str | None: ...
    @property
    def reviewer_qualification(self) -> str | None: ...
    @property
    def curation_rule(self) -> str | None: ...
    @property
    def verdicts(self) -> Sequence[CountedVerdict]: ...


@dataclass(frozen=True)
class ConfigInfo:
    """One configuration as written: rows, in-memory bytes, parquet files."""

    name: str
    description: str
    rows: int
    num_bytes: int
    download_size: int
    files: tuple[str, ...]
    #: deprecated names that still load this config (same files), e.g. ``splits``
    aliases: tuple[str, ...] = ()


@dataclass
class ReleaseFacts:
    conditions: list[str]
    synthetic_by_type: Counter[tuple[str, int]] = field(default_factory=Counter)
    curation: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    seeds: Counter[tuple[str, str]] = field(default_factory=Counter)
    reviewers: Counter[str] = field(default_factory=Counter)
    #: deciding verdicts of people by the qualification their reviewer stated
    qualifications: Counter[str] = field(default_factory=Counter)
    generators: Counter[tuple[str, str]] = field(default_factory=Counter)
    templates: Counter[str] = field(default_factory=Counter)
    #: accepted imported images by what their files recorded (generator_metadata read_from)
    embedded: Counter[str] = field(default_factory=Counter)
    crop_methods: Counter[str] = field(default_factory=Counter)
    mask_methods: Counter[str] = field(default_factory=Counter)
    sampling: Counter[tuple[str, int, int]] = field(default_factory=Counter)
    splits: Counter[tuple[str, str]] = field(default_factory=Counter)
    requests: int = 0  # distinct generation requests (set by the builder)
    made_by: Counter[tuple[str, str]] = field(default_factory=Counter)  # every candidate
    source_hosts: Counter[str] = field(default_factory=Counter)  # seeds by source_url host
    #: rows by the curation rule that decided them (null: built before the rule existed)
    rules: Counter[str] = field(default_factory=Counter)
    #: image id → reviewer → accept/reject, for images at least two people reviewed
    ratings: dict[str, dict[str, str]] = field(default_factory=dict)
    #: (backend, model) → the open weights' (licence, identity) where provenance has them
    weights: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: accepted images made by text-to-image (no seed photograph: seed columns null)
    text_to_image: int = 0

    def add_row(self, row: CountedRow) -> None:
        self.curation[(row.condition, row.fst_group, row.verdict or "unreviewed")] += 1
        if row.curation_rule is not None:
            self.rules[row.curation_rule] += 1
        votes = {v.reviewer: str(v.decision) for v in row.verdicts
                 if v.role == "reviewer" and not v.reviewer.startswith("auto:")
                 and v.decision != "undecided"}
        if len(votes) >= 2:
            self.ratings[row.image_id] = votes
        if row.reviewer is not None:
            self.reviewers[row.reviewer] += 1
            if not row.reviewer.startswith("auto:"):
                self.qualifications[row.reviewer_qualification or NOT_STATED] += 1
        self.made_by[(row.backend, row.model)] += 1
        stated = _weights_of(row.generation_metadata.get("weights"))
        if stated is not None:
            self.weights[(row.backend, row.model)] = stated
        if row.verdict == "accept":
            self.synthetic_by_type[(row.condition, row.fitzpatrick)] += 1
            self.generators[(row.backend, row.model)] += 1
            self.templates[row.prompt_template_version or OWN_PROMPT] += 1
            self.text_to_image += row.seed_id is None
            for where in _read_from(row):
                self.embedded[EMBEDDED_NAMES.get(where, where)] += 1

    def add_seed(self, row: SeedRow) -> None:
        self.add_seed_values(row.condition, row.fst_group, row.crop_method, row.mask_method,
                             row.source_url, (row.sampling.method, row.sampling.rng_seed,
                                              row.sampling.n_per_group))

    def add_seed_values(self, condition: str, fst_group: str, crop_method: str,
                        mask_method: str, source_url: str | None,
                        sampling: tuple[str, int, int]) -> None:
        """:meth:`add_seed` from a seeds row's values (sampling: method, rng seed and
        number per group)."""
        self.seeds[(condition, fst_group)] += 1
        self.crop_methods[crop_method] += 1
        self.mask_methods[mask_method] += 1
        self.source_hosts[_host(source_url)] += 1
        self.sampling[sampling] += 1

    def add_split(self, row: SplitMembership) -> None:
        self.splits[(row.experiment, row.role)] += 1

    # --- derived -------------------------------------------------------------------------
    @property
    def synthetic(self) -> int:
        return sum(self.synthetic_by_type.values())

    @property
    def automatic_verdicts(self) -> int:
        return sum(n for r, n in self.reviewers.items() if r.startswith("auto:"))

    @property
    def human_reviewers(self) -> list[str]:
        return sorted(r for r in self.reviewers if not r.startswith("auto:"))

    @property
    def expert_verdicts(self) -> int:
        """Deciding verdicts of reviewers who stated they are dermatologists or residents."""
        return sum(n for q, n in self.qualifications.items() if q in EXPERT_QUALIFICATIONS)

    def annotations_creators(self) -> list[str]:
        """The card's ``annotations_creators``, truthfully: ``expert-generated`` only when a
        dermatologist or resident decided some verdict; ``other`` for other people's
        verdicts (other clinicians, non-clinicians, qualification not stated: invited
        reviewers, not crowd workers); ``machine-generated`` for the automatic policy's."""
        kinds = []
        if self.expert_verdicts:
            kinds.append("expert-generated")
        if sum(self.qualifications.values()) > self.expert_verdicts:
            kinds.append("other")
        if self.automatic_verdicts:
            kinds.append("machine-generated")
        return kinds or ["no-annotation"]

    def agreement(self) -> float | None:
        """Krippendorff's alpha (nominal) of the reviewers over the images at least two of
        them decided; None when undefined (no such image, or one decision only)."""
        from ..curation import krippendorff_alpha

        return krippendorff_alpha(self.ratings)

    def qualification_lines(self) -> list[tuple[str, int]]:
        """(qualification, deciding verdicts) in vocabulary order, then not stated, then the
        automatic policy; only those with verdicts."""
        rows = [(q, self.qualifications[q]) for q in (*QUALIFICATIONS, NOT_STATED)]
        rows.append(("automatic policy (not a person)", self.automatic_verdicts))
        return [(q, n) for q, n in rows if n]

    def present_conditions(self) -> list[str]:
        seen = {c for c, _, _ in self.curation}
        return [c for c in self.conditions if c in seen]

    def table1(self) -> str:
        """Synthetic images by seed skin type (rows) and condition (columns), as Table 1."""
        conditions = self.present_conditions()
        head = "| FST | " + " | ".join(c.title() for c in conditions) + " | Total |"
        lines = [head, "|" + "---|" * (len(conditions) + 2)]
        for fst, roman in enumerate(_ROMAN, start=1):
            cells = [self.synthetic_by_type[(c, fst)] for c in conditions]
            lines.append(f"| {roman} | " + " | ".join(map(str, cells)) + f" | {sum(cells)} |")
        totals = [sum(self.synthetic_by_type[(c, f)] for f in range(1, 7)) for c in conditions]
        lines.append("| Total | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
        return "\n".join(lines)

    def curation_table(self) -> str:
        lines = ["| Condition | FST group | Seeds | Candidates | Accepted | Rejected | "
                 "Undecided | Unreviewed |", "|---|---|---|---|---|---|---|---|"]
        for condition in self.present_conditions():
            for group in FST_GROUPS:
                n = {d: self.curation[(condition, group, d)]
                     for d in ("accept", "reject", "undecided", "unreviewed")}
                if not any(n.values()) and not self.seeds[(condition, group)]:
                    continue
                lines.append(f"| {condition} | {group} | {self.seeds[(condition, group)]} | "
                             f"{sum(n.values())} | {n['accept']} | {n['reject']} | "
                             f"{n['undecided']} | {n['unreviewed']} |")
        return "\n".join(lines)

    def splits_table(self) -> str:
        experiments = sorted({e for e, _ in self.splits})
        lines = ["| Experiment | train | seed | test |", "|---|---|---|---|"]
        for e in experiments:
            lines.append(f"| {e} | {self.splits[(e, 'train')]} | {self.splits[(e, 'seed')]} | "
                         f"{self.splits[(e, 'test')]} |")
        return "\n".join(lines)


#: the card's name for a prompt that no dermforge template rendered
OWN_PROMPT = "none, the maker's own prompt for imports"
#: generator_metadata ``read_from`` → what the card calls it
EMBEDDED_NAMES = {"png:parameters": "Stable Diffusion WebUI parameters in PNG text",
                  "exif:UserComment": "Stable Diffusion WebUI parameters in EXIF",
                  "png:prompt": "ComfyUI prompt graph", "png:workflow": "ComfyUI workflow",
                  "c2pa": "C2PA manifest"}


def _read_from(row: CountedRow) -> list[str]:
    meta = row.generator_metadata or {}
    places = meta.get("read_from")
    return [str(p) for p in places] if isinstance(places, list) else []


def _weights_of(value: object) -> tuple[str, str] | None:
    """(licence, identity) from a diffusers candidate's ``weights`` metadata, else None."""
    if not isinstance(value, dict) or not isinstance(value.get("license"), str):
        return None
    if isinstance(value.get("revision"), str):
        identity = f"Hub {value.get('model')} at commit {value['revision']}"
    elif isinstance(value.get("weights_sha256"), str):
        identity = f"weight files sha256 {value['weights_sha256']}"
    else:
        identity = "unidentified"
    return value["license"], identity
