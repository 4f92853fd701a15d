"""`curate signals`: measure every candidate against its seed and the experiments' test splits
(records in: Candidate, GenerationRequest, Mask, SourceImage, SplitMembership; out:
CandidateSignals, appended; the latest per candidate counts).

A candidate is measured again only when its image, the signals parameters or the test set
changed. The perceptual hashes of the test-split images are cached in
``<workspace>/cache/signals/phash-<bits>.json`` keyed by image sha256, so a second run (or a
run after new candidates arrive) decodes no test image again.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from .._atomic import atomic_write_text
from .._params import params_sha256
from ..errors import MissingInputError
from ..schemas import (
    Candidate,
    CandidateSignals,
    GenerationRequest,
    Mask,
    SourceImage,
    SplitMembership,
    sha256_of_canonical,
)
from ..store import Workspace
from ._signals import (
    ImageMeasures,
    hash_distance,
    image_hashes,
    ita_group,
    measure,
    nearest,
    pixel_difference,
    signal_flags,
)
from ._signals_params import SignalsParams

__all__ = ["SignalsRun", "TestSet", "compute_signals", "latest_signals", "load_test_set"]

Progress = Callable[[str, int, int], None]
_BATCH = 64
_DRAFT = 512  # JPEG test images are decoded at >= this size: enough for a 32×32 DCT hash


def latest_signals(workspace: Workspace) -> dict[str, CandidateSignals]:
    """candidate id → its latest signals (the last record in signals.jsonl)."""
    latest: dict[str, CandidateSignals] = {}
    for record in workspace.manifest(CandidateSignals):
        latest[record.candidate_id] = record
    return latest


@dataclass(frozen=True)
class TestSet:
    """Hashes of the test-split images present in the workspace."""

    hashes: dict[str, tuple[str, ...]]  # source id → (whole image, centre square)
    missing: int  # test-split images whose bytes are not in the workspace
    sha256: str


def _cache_path(workspace: Workspace, params: SignalsParams) -> Path:
    return workspace.root / "cache" / "signals" / f"phash-{params.hash_size ** 2}.json"


def _read_cache(path: Path) -> dict[str, list[str]]:
    """The cache, or {} when absent or unreadable (it is rebuilt from the images)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items()
            if isinstance(v, list) and len(v) == 2 and all(isinstance(h, str) for h in v)}


def _open(workspace: Workspace, sha256: str, draft: int | None = None) -> Image.Image:
    image = Image.open(io.BytesIO(workspace.blobs.read(sha256)))
    if draft is not None and image.format == "JPEG":
        image.draft("RGB", (draft, draft))
    image.load()
    return image


def load_test_set(workspace: Workspace, params: SignalsParams,
                  progress: Progress | None = None) -> TestSet:
    """Hash every test-split image in the workspace (cached by sha256)."""
    test_ids = {m.source_id for m in workspace.manifest(SplitMembership) if m.role == "test"}
    shas = {row.source_id: row.sha256 for row in workspace.manifest(SourceImage)
            if row.source_id in test_ids and row.sha256 is not None}
    path = _cache_path(workspace, params)
    cache = _read_cache(path)
    todo = sorted({sha for sha in shas.values() if sha not in cache})
    for done, sha in enumerate(todo, start=1):
        with _open(workspace, sha, _DRAFT) as image:
            cache[sha] = list(image_hashes(image.convert("RGB"), params.hash_size))
        if progress is not None:
            progress("hashing test images", done, len(todo))
    if todo:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(cache, sort_keys=True, indent=0) + "\n")
    hashes = {sid: tuple(cache[sha]) for sid, sha in shas.items()}
    key = sha256_of_canonical({"hash_size": params.hash_size,
                               "images": sorted([sid, sha] for sid, sha in shas.items())})
    return TestSet(hashes=hashes, missing=len(test_ids) - len(shas), sha256=key)


@dataclass
class SignalsRun:
    """What one run did."""

    computed: int = 0
    unchanged: int = 0
    #: text-to-image candidates, not measured: every signal compares with a seed photograph
    #: (skin tone, copy, the seed's test-set neighbour), and they have none
    text_to_image: int = 0
    test_images: int = 0
    test_missing: int = 0
    flags: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _SeedSide:
    crop_sha256: str
    mask_sha256: str | None
    measures: ImageMeasures
    alpha: np.ndarray | None
    editable: Literal["inside", "outside"] | None


class _Measurer:
    """Measures candidates, caching what is shared by a seed's candidates."""

    def __init__(self, workspace: Workspace, params: SignalsParams, test: TestSet) -> None:
        self.workspace, self.params, self.test = workspace, params, test
        self.requests = {r.request_id: r for r in workspace.manifest(GenerationRequest)}
        self.masks = {m.sha256: m for m in workspace.manifest(Mask)}
        self.sources = {s.source_id: s for s in workspace.manifest(SourceImage)}
        self.params_sha256 = params_sha256(params)
        self._seeds: dict[tuple[str, str | None], _SeedSide] = {}
        self._source_test: dict[str, tuple[str | None, int | None]] = {}

    def request(self, candidate: Candidate) -> GenerationRequest:
        request = self.requests.get(candidate.request_id)
        if request is None:
            raise MissingInputError(
                f"candidate {candidate.candidate_id} (seed {candidate.source_id}): its request "
                f"{candidate.request_id} is not in records/requests.jsonl",
                fix="re-run generation for this seed, or remove the orphan candidate")
        return request

    def seed_side(self, candidate: Candidate, request: GenerationRequest, crop_sha256: str,
                  ) -> _SeedSide:
        key = (crop_sha256, request.mask_sha256)
        if key not in self._seeds:
            alpha, editable = None, None
            if request.mask_sha256 is not None:
                mask = self.masks.get(request.mask_sha256)
                if mask is None:
                    raise MissingInputError(
                        f"candidate {candidate.candidate_id}: the mask {request.mask_sha256} of "
                        f"its request is not in records/masks.jsonl",
                        fix="re-run `dermforge prepare` for this seed")
                with _open(self.workspace, mask.sha256) as image:
                    alpha = np.asarray(image.convert("RGBA").getchannel("A"))
                editable = mask.editable
            with _open(self.workspace, crop_sha256) as crop:
                measures = measure(crop, alpha, editable, self.params)
            self._seeds[key] = _SeedSide(crop_sha256, request.mask_sha256, measures,
                                         alpha, editable)
        return self._seeds[key]

    def source_test(self, seed_id: str) -> tuple[str | None, int | None]:
        """(nearest test image, distance) of the seed's whole source image."""
        if seed_id not in self._source_test:
            row = self.sources.get(seed_id)
            found = None
            if row is not None and row.sha256 is not None:
                with _open(self.workspace, row.sha256, _DRAFT) as image:
                    hashes = image_hashes(image.convert("RGB"), self.params.hash_size)
                found = nearest(hashes, self.test.hashes, exclude=seed_id)
            self._source_test[seed_id] = (found.source_id, found.distance) if found else (
                None, None)
        return self._source_test[seed_id]

    def signals(self, candidate: Candidate) -> CandidateSignals:
        request = self.request(candidate)
        seed_id, crop_sha256 = candidate.source_id, request.image_sha256
        if seed_id is None or crop_sha256 is None:  # compute_signals leaves them out
            raise MissingInputError(
                f"candidate {candidate.candidate_id} is text-to-image: it has no seed "
                "photograph to measure against", fix="measure seeded candidates only")
        seed = self.seed_side(candidate, request, crop_sha256)
        with _open(self.workspace, candidate.sha256) as image:
            mine = measure(image, seed.alpha, seed.editable, self.params)
        seed_distance = hash_distance(mine.phash, seed.measures.phash)
        seed_difference = round(pixel_difference(mine, seed.measures), 4)
        test = nearest([mine.phash], self.test.hashes, exclude=candidate.source_id)
        source_test_id, source_test_distance = self.source_test(seed_id)
        flags = signal_flags(mine, seed.measures, seed_difference=seed_difference,
                             test_distance=test.distance if test else None,
                             seed_source_test_distance=source_test_distance, params=self.params)
        return CandidateSignals(
            candidate_id=candidate.candidate_id, candidate_sha256=candidate.sha256,
            seed_id=seed_id, crop_sha256=seed.crop_sha256,
            mask_sha256=seed.mask_sha256, skin_region=mine.skin_region,
            skin_fraction=mine.skin_fraction, ita=mine.ita,
            ita_group=ita_group(mine.ita, self.params), seed_ita=seed.measures.ita,
            seed_ita_group=ita_group(seed.measures.ita, self.params),
            ita_delta=round(mine.ita - seed.measures.ita, 4), seed_distance=seed_distance,
            seed_difference=seed_difference,
            nearest_test_id=test.source_id if test else None,
            nearest_test_distance=test.distance if test else None,
            seed_source_test_id=source_test_id, seed_source_test_distance=source_test_distance,
            test_images_compared=len(self.test.hashes) - (candidate.source_id in self.test.hashes),
            test_images_missing=self.test.missing, sharpness=mine.sharpness,
            seed_sharpness=seed.measures.sharpness, flags=flags,
            hash_method=f"imagehash.phash-{self.params.hash_size ** 2}",
            params_sha256=self.params_sha256, test_set_sha256=self.test.sha256)


def _current(record: CandidateSignals | None, candidate: Candidate, params_sha: str,
             test_sha: str) -> bool:
    return record is not None and (record.candidate_sha256, record.params_sha256,
                                   record.test_set_sha256) == (candidate.sha256, params_sha,
                                                               test_sha)


def compute_signals(workspace: Workspace, params: SignalsParams,
                    progress: Progress | None = None) -> SignalsRun:
    """Measure every candidate whose signals are missing or stale; append them in batches
    (an interrupted run keeps what it appended and resumes there)."""
    test = load_test_set(workspace, params, progress)
    measurer = _Measurer(workspace, params, test)
    latest = latest_signals(workspace)
    every = list(workspace.manifest(Candidate))
    candidates = sorted((c for c in every if c.source_id is not None),
                        key=lambda c: (c.seed_or_request, c.created, c.request_id, c.index))
    run = SignalsRun(test_images=len(test.hashes), test_missing=test.missing,
                     text_to_image=len(every) - len(candidates))
    todo = [c for c in candidates
            if not _current(latest.get(c.candidate_id), c, measurer.params_sha256, test.sha256)]
    run.unchanged = len(candidates) - len(todo)
    manifest = workspace.manifest(CandidateSignals)
    batch: list[CandidateSignals] = []
    for done, candidate in enumerate(todo, start=1):
        record = measurer.signals(candidate)
        run.flags.update(record.flags)
        batch.append(record)
        if len(batch) == _BATCH or done == len(todo):
            run.computed += manifest.append(batch)
            batch = []
        if progress is not None:
            progress("measuring candidates", done, len(todo))
    return run
