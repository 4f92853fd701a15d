"""The join: workspace records → the flat rows a dataset user sees.

:func:`release_row` and :func:`seed_row` build validated rows from the records, and name the
first record missing from a candidate's lineage (:func:`lineage`). The build writes the same
rows column-wise from the scan's values (``_columns``, ``_assemble``), without validating them
a second time: every value comes from a record that the build's scan validated under the same
field types as the row's, and the row's own rule (a verdict comes with its reviewer and time;
no qualification for automatic verdicts) is :class:`~dermforge.schemas.CurationVerdict`'s.
Tests pin both to give the same values; ``verify`` validates every released row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import JsonValue

from ..errors import MissingInputError
from ..schemas import (
    SEED_COLUMNS,
    Candidate,
    CandidateSignals,
    Crop,
    CurationVerdict,
    GenerationRequest,
    Mask,
    ReleaseRow,
    RowVerdict,
    Seed,
    SeedRow,
    SourceImage,
    fst_group,
)
from ._index import WorkspaceIndex

__all__ = ["Lineage", "RowFacts", "SeedKey", "SeedLineage", "Vote", "counted_verdicts",
           "lineage", "release_row", "seed_row", "signal_columns"]

_GENERATOR = "generator_metadata"
#: a seeds row is one (seed, crop, mask) combination used by some request
SeedKey = tuple[str, str, str]


@dataclass(frozen=True)
class SeedLineage:
    """The seed photograph a candidate derives from: its records, crop and mask."""

    seed: Seed
    source: SourceImage
    crop: Crop
    mask: Mask


@dataclass(frozen=True)
class Lineage:
    """The records one candidate descends from (``seeded`` is None for text-to-image)."""

    candidate: Candidate
    request: GenerationRequest
    seeded: SeedLineage | None

    @property
    def seed_key(self) -> SeedKey | None:
        s = self.seeded
        return None if s is None else (s.seed.source_id, s.crop.sha256, s.mask.sha256)


def _missing(candidate: Candidate, what: str, file: str, fix: str) -> MissingInputError:
    return MissingInputError(
        f"candidate {candidate.candidate_id} (seed {candidate.source_id}): {what} is not in "
        f"records/{file}",
        fix=fix,
    )


def lineage(index: WorkspaceIndex, candidate: Candidate) -> Lineage:
    """Look up every record the candidate descends from, naming the first one missing."""
    request = index.requests.get(candidate.request_id)
    if request is None:
        raise _missing(candidate, f"its request {candidate.request_id}", "requests.jsonl",
                       "re-run generation for this seed, or remove the orphan candidate")
    if request.text_to_image or candidate.source_id is None:
        if not request.text_to_image or candidate.source_id is not None:
            raise MissingInputError(
                f"candidate {candidate.candidate_id}: its seed ({candidate.source_id}) does "
                f"not match its {request.operation} request {request.request_id}",
                fix="re-import the image (a text-to-image candidate and request have no seed)")
        return Lineage(candidate, request, None)
    return Lineage(candidate, request, _seed_lineage(index, candidate, request))


def _seed_lineage(index: WorkspaceIndex, candidate: Candidate, request: GenerationRequest,
                  ) -> SeedLineage:
    seed_id = str(candidate.source_id)
    seed = index.seeds.get(seed_id)
    if seed is None:
        raise _missing(candidate, "its seed", "seeds.jsonl",
                       "re-run seed sampling (`dermforge seeds sample`) so the seed is recorded")
    source = index.sources.get(seed_id)
    if source is None or source.sha256 is None:
        raise _missing(candidate, "its source image (with stored bytes)", "sources.jsonl",
                       "import the seed's source image (`dermforge sources import`)")
    crop = index.crops.get((seed_id, str(request.image_sha256)))
    if crop is None:
        raise _missing(candidate, f"the crop {request.image_sha256} its request used",
                       "crops.jsonl", "re-run `dermforge prepare` for this seed")
    if request.mask_sha256 is None:
        raise MissingInputError(
            f"candidate {candidate.candidate_id}: its request {request.request_id} has no mask; "
            "a release needs the inpainting mask of every image",
            fix="generate with a mask (`dermforge prepare` writes one per seed)")
    mask = index.masks.get((seed_id, crop.sha256, request.mask_sha256))
    if mask is None:
        raise _missing(candidate, f"the mask {request.mask_sha256} its request used",
                       "masks.jsonl", "re-run `dermforge prepare` for this seed")
    return SeedLineage(seed, source, crop, mask)


def _seed_columns(line: Lineage) -> dict[str, Any]:
    """The columns a row takes from its seed; for text-to-image, the request's condition and
    skin type and null seed columns."""
    s, request = line.seeded, line.request
    if s is None:
        assert request.condition is not None and request.fitzpatrick is not None  # validated
        return {"condition": request.condition, "fitzpatrick": request.fitzpatrick,
                "fst_group": fst_group(request.fitzpatrick),
                **dict.fromkeys((*SEED_COLUMNS, "source_url"))}
    assert s.source.sha256 is not None  # checked by lineage()
    return dict(
        condition=s.seed.condition, fst_group=s.seed.group,
        seed_id=s.seed.source_id, fitzpatrick=s.seed.fitzpatrick,
        source_sha256=s.source.sha256, source_dataset=s.source.dataset,
        source_url=s.source.url, source_license=s.source.license,
        crop_box=s.crop.box, crop_method=s.crop.method, crop_sha256=s.crop.sha256,
        mask_method=s.mask.method, mask_sha256=s.mask.sha256)


def release_row(index: WorkspaceIndex, line: Lineage, release_added: str) -> ReleaseRow:
    c, request = line.candidate, line.request
    prompt = index.prompt(c.source_id, request.prompt) if c.source_id is not None else None
    if prompt is None and request.operation == "edit":  # an import may use its own prompt
        raise _missing(c, f"the prompt {request.prompt!r}", "prompts.jsonl",
                       "re-run the prompt stage for this seed")
    final = index.final(c.candidate_id)
    verdict = final.effective() if final else None
    return ReleaseRow(
        image_id=c.candidate_id, image_sha256=c.sha256, generated_sha256=c.sha256,
        **_seed_columns(line),
        prompt=request.prompt, prompt_slots=prompt.slots if prompt else None,
        prompt_template_version=prompt.template_version if prompt else None,
        backend=c.backend, model=c.model, operation=request.operation,
        request_id=request.request_id, request_size=request.size,
        request_quality=request.quality, request_parameters=request.parameters,
        candidate_index=c.index, image_width=c.width, image_height=c.height,
        image_format=c.format, generated_at=c.created,
        generation_metadata={k: v for k, v in c.metadata.items() if k != _GENERATOR},
        generator_metadata=_generator_metadata(c), cost_usd=c.cost_usd,
        verdict=verdict.decision if verdict else None,
        reason_codes=verdict.reason_codes if verdict else (),
        photorealism=verdict.photorealism if verdict else None,
        consistency=verdict.consistency if verdict else None,
        reviewer=verdict.reviewer if verdict else None,
        decided_at=verdict.decided_at if verdict else None,
        verdict_note=verdict.note if verdict else "",
        reviewer_qualification=verdict.reviewer_qualification if verdict else None,
        release_added=release_added,
        curation_rule=index.rule,
        verdicts=tuple(RowVerdict(reviewer=v.reviewer,
                                  reviewer_qualification=v.reviewer_qualification,
                                  role=v.role, decision=v.decision, decided_at=v.decided_at)
                       for v in (final.weighed if final else ())),
        **signal_columns(index.signals.get(c.candidate_id), c),
    )


def _generator_metadata(c: Candidate) -> dict[str, JsonValue] | None:
    """What an imported file recorded about its making (the import keeps it in the
    candidate's metadata under ``generator_metadata``; a release has its own column)."""
    value = c.metadata.get(_GENERATOR)
    return value if isinstance(value, dict) else None


def signal_columns(signals: CandidateSignals | None, c: Candidate) -> dict[str, Any]:
    """The advisory signals of the candidate's current image (none when not measured, or
    measured on other bytes)."""
    if signals is None or signals.candidate_sha256 != c.sha256:
        return {}
    return {"signal_ita": signals.ita, "signal_ita_group": signals.ita_group,
            "signal_seed_ita": signals.seed_ita, "signal_seed_distance": signals.seed_distance,
            "signal_nearest_test_id": signals.nearest_test_id,
            "signal_nearest_test_distance": signals.nearest_test_distance,
            "signal_sharpness": signals.sharpness,
            "signal_seed_sharpness": signals.seed_sharpness,
            "signal_flags": tuple(signals.flags)}


def seed_row(line: Lineage, release_added: str) -> SeedRow:
    assert line.seeded is not None  # seeds rows are written for seeded lineages only
    seed, source, crop, mask = (line.seeded.seed, line.seeded.source, line.seeded.crop,
                                line.seeded.mask)
    assert source.sha256 is not None  # checked by lineage()
    return SeedRow(
        seed_id=seed.source_id, condition=seed.condition, fitzpatrick=seed.fitzpatrick,
        fst_group=seed.group, rank=seed.rank, sampling=seed.sampling,
        source_dataset=source.dataset, source_sha256=source.sha256, source_url=source.url,
        source_license=source.license,
        crop_sha256=crop.sha256, crop_box=crop.box, crop_method=crop.method,
        crop_output_size=crop.output_size, crop_params=crop.params,
        mask_sha256=mask.sha256, mask_method=mask.method, mask_editable=mask.editable,
        mask_editable_fraction=mask.editable_fraction, mask_params=mask.params,
        release_added=release_added,
    )


class Vote(NamedTuple):
    """One verdict a rule weighed, as a row's ``verdicts`` column holds it."""

    reviewer: str
    reviewer_qualification: str | None
    role: str
    decision: str
    decided_at: datetime


@dataclass(slots=True)
class RowFacts:
    """What the card's counts read of a row (:meth:`ReleaseFacts.add_row`); one per
    candidate, on the build's hot path: slots, not frozen (a frozen dataclass takes five
    times as long to make)."""

    image_id: str
    condition: str
    fst_group: str
    fitzpatrick: int
    seed_id: str | None
    backend: str
    model: str
    prompt_template_version: str | None
    generation_metadata: Mapping[str, JsonValue]
    generator_metadata: Mapping[str, JsonValue] | None
    verdict: str | None
    reviewer: str | None
    reviewer_qualification: str | None
    curation_rule: str | None
    verdicts: tuple[Vote, ...]


def counted_verdicts(index: WorkspaceIndex, cid: str
                     ) -> tuple[CurationVerdict | None, tuple[CurationVerdict, ...]]:
    """(the verdict that counts, every verdict the rule weighed), as :func:`release_row`
    takes them from ``index.final`` (the build's own path under the rules that weigh
    several people's lines)."""
    final = index.final(cid)
    return (final.effective(), final.weighed) if final is not None else (None, ())
