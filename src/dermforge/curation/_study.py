"""The blinded reader study ("Turing test"): can readers tell real seed crops from accepted
synthetic images?

The pool is every accepted candidate (latest verdict) and the real crop each was made from.
Each reader sees the pool in their own deterministic order — sorted by
sha256("study-v1:<reader>:<image sha256>") — under a blinded item id (the first 16 hex
characters of that digest), so the order and ids reveal nothing about the truth and the same
reader always resumes in the same order. Answers are StudyAnswer records; the latest answer
per reader and image counts. Accuracy comes with a 95% normal (Wald) interval,
p ± 1.96·√(p(1−p)/n), clipped to [0, 1]; 0.5 is chance.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..schemas import Candidate, CurationVerdict, GenerationRequest, StudyAnswer

__all__ = [
    "AccuracyLine",
    "StudyItem",
    "accuracy_line",
    "reader_order",
    "study_pool",
    "study_report",
]

STUDY_VERSION = "study-v1"
Z95 = 1.959963984540054
Truth = Literal["real", "synthetic"]


@dataclass(frozen=True)
class StudyItem:
    item_id: str
    image_sha256: str
    truth: Truth
    seed_id: str
    candidate_id: str | None


def study_pool(candidates: Iterable[Candidate], latest: dict[str, CurationVerdict],
               requests: dict[str, GenerationRequest]) -> list[StudyItem]:
    """Accepted candidates and their seeds' crops (each image once), not yet ordered."""
    items: dict[str, StudyItem] = {}
    for candidate in candidates:
        verdict = latest.get(candidate.candidate_id)
        if verdict is None or verdict.decision != "accept":
            continue
        items.setdefault(candidate.sha256, StudyItem("", candidate.sha256, "synthetic",
                                                     candidate.source_id or "",
                                                     candidate.candidate_id))
        request = requests.get(candidate.request_id)  # text-to-image: no real image to show
        if request is not None and request.image_sha256 is not None and candidate.source_id \
                and request.image_sha256 not in items:
            items[request.image_sha256] = StudyItem("", request.image_sha256, "real",
                                                    candidate.source_id, None)
    return list(items.values())


def _key(reader: str, sha256: str) -> str:
    return hashlib.sha256(f"{STUDY_VERSION}:{reader}:{sha256}".encode()).hexdigest()


def reader_order(pool: Iterable[StudyItem], reader: str) -> list[StudyItem]:
    """The reader's order of the pool, with blinded item ids."""
    keyed = sorted((_key(reader, item.image_sha256), item) for item in pool)
    return [StudyItem(key[:16], item.image_sha256, item.truth, item.seed_id, item.candidate_id)
            for key, item in keyed]


@dataclass(frozen=True)
class AccuracyLine:
    label: str
    n: int
    correct: int
    accuracy: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "n": self.n, "correct": self.correct,
                "accuracy": self.accuracy, "ci95_low": self.low, "ci95_high": self.high}


def accuracy_line(label: str, correct: int, n: int) -> AccuracyLine:
    """Accuracy and its 95% normal interval (None when n is 0)."""
    if n == 0:
        return AccuracyLine(label, 0, 0, None, None, None)
    p = correct / n
    half = Z95 * math.sqrt(p * (1.0 - p) / n)
    return AccuracyLine(label, n, correct, p, max(0.0, p - half), min(1.0, p + half))


def _latest(answers: Iterable[StudyAnswer]) -> list[StudyAnswer]:
    latest: dict[tuple[str, str], StudyAnswer] = {}
    for answer in answers:
        latest[(answer.reader, answer.image_sha256)] = answer
    return list(latest.values())


def study_report(answers: Iterable[StudyAnswer]) -> list[AccuracyLine]:
    """Overall, per truth (real crops, synthetic images) and per reader."""
    rows = _latest(answers)

    def line(label: str, chosen: list[StudyAnswer]) -> AccuracyLine:
        return accuracy_line(label, sum(a.guess == a.truth for a in chosen), len(chosen))

    lines = [line("all readers", rows)]
    for truth in ("real", "synthetic"):
        lines.append(line(f"{truth} images", [a for a in rows if a.truth == truth]))
    for reader in sorted({a.reader for a in rows}):
        lines.append(line(f"reader {reader}", [a for a in rows if a.reader == reader]))
    return lines
