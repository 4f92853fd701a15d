"""The validation a release carries: ``validation/`` (the reference evaluation's reports) and
release.json ``evaluation`` (their summary), and what `verify` checks of them.

``evaluation`` is computed from ``validation/metrics.json`` alone — its ``settings``,
``validation``, ``not_computable`` and ``release`` blocks — so the two can never disagree
unnoticed. ``data_sha256`` ties the evaluation to the data it read: the sha256 of the lines
``<sha256>  <path>`` (sorted by path, as ``sha256sum`` prints them) of every ``data/`` file
MANIFEST.json lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from ..schemas import Release, ReleaseEvaluation
from ..store import format_validation_error
from ._folder import MANIFEST_JSON, RELEASE_JSON, FileEntry, ReleaseFolder

if TYPE_CHECKING:
    from ._verify import VerifyReport

__all__ = ["VALIDATION_DIR", "VALIDATION_FILES", "MetricsError", "check_validation",
           "data_sha256", "evaluation_of", "read_metrics"]

VALIDATION_DIR = "validation"
#: the reports of `dermforge evaluate --out` a release carries, in this order
VALIDATION_FILES = ("metrics.json", "validation.md", "table2.csv", "table3.csv",
                    "spillover.csv", "figure3.png")
METRICS = f"{VALIDATION_DIR}/metrics.json"
_SETTINGS = ("backbone", "weights", "comparable_to_paper", "selection", "repeats", "epochs",
             "dtype", "dtype_reason", "device", "device_detail", "image_size", "generators")
_SUMMARY = ("paper_cells", "computed", "not_computable", "intervals_overlap",
            "direction_cells", "direction_agrees", "mean_abs_diff")


class MetricsError(ValueError):
    """metrics.json lacks what the summary needs (the message says what)."""


def data_sha256(files: Mapping[str, FileEntry | str]) -> str:
    """The digest of the ``data/`` files of a listing (path → FileEntry or sha256)."""
    lines = []
    for rel, entry in sorted(files.items()):
        if rel.startswith("data/"):
            sha = entry if isinstance(entry, str) else entry.sha256
            lines.append(f"{sha}  {rel}\n")
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def read_metrics(path: Path) -> dict[str, Any]:
    """metrics.json as an object; MetricsError when it is not JSON or not an object
    (OSError passes through)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise MetricsError(f"is not valid UTF-8 JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MetricsError("is not a JSON object")
    return data


def _block(metrics: Mapping[str, Any], name: str) -> dict[str, Any]:
    block = metrics.get(name)
    if not isinstance(block, dict):
        raise MetricsError(f"has no {name!r} object (written by an older `dermforge "
                           "evaluate`?)")
    return block


def evaluation_of(metrics: Mapping[str, Any]) -> ReleaseEvaluation:
    """release.json ``evaluation`` as ``metrics`` (an evaluation's metrics.json) gives it."""
    settings, summary = _block(metrics, "settings"), _block(metrics, "validation")
    release, missing = _block(metrics, "release"), _block(metrics, "not_computable")
    values: dict[str, Any] = {key: settings.get(key) for key in _SETTINGS}
    values.update({key: summary.get(key) for key in _SUMMARY})
    values.update(not_computable_conditions=missing, data_sha256=release.get("data_sha256"),
                  files=tuple(f"{VALIDATION_DIR}/{name}" for name in VALIDATION_FILES))
    try:
        # validated as JSON, exactly as release.json is read back
        return ReleaseEvaluation.model_validate_json(json.dumps(values))
    except pydantic.ValidationError as exc:
        field, reason = format_validation_error(exc)
        raise MetricsError(f"field {field!r}: {reason}") from None


def check_validation(folder: ReleaseFolder, release: Release,
                     manifest: Mapping[str, FileEntry] | None, report: VerifyReport) -> None:
    """The validation files agree with release.json ``evaluation``, which agrees with the
    data: every listed file is there and recorded, the summary is metrics.json's, and the
    data digest is that of the data files MANIFEST.json lists now."""
    evaluation = release.evaluation
    if evaluation is None:
        for rel in sorted(r for r in folder.files()[0] if r.startswith(f"{VALIDATION_DIR}/")):
            report.add(rel, f"a validation file, but {RELEASE_JSON} 'evaluation' is null "
                       "(the release claims to be unvalidated)", field="evaluation")
        return
    reported = {p.file for p in report.problems}
    for rel in evaluation.files:
        if not (folder.root / rel).is_file() and rel not in reported:
            report.add(rel, f"missing: {RELEASE_JSON} 'evaluation' lists it")
        elif rel not in release.files:
            report.add(rel, f"not recorded in {RELEASE_JSON} 'files', so its bytes are not "
                       "bound to the release", field="sha256")
    _check_summary(folder, release, evaluation, report)
    _check_data_digest(release, evaluation, manifest, report)


def _check_data_digest(release: Release, evaluation: ReleaseEvaluation,
                       manifest: Mapping[str, FileEntry] | None, report: VerifyReport) -> None:
    signing = release.signing
    if signing is not None and signing.unsigned_data_sha256 is not None:
        # a signed release's data/ holds the marked images; the validation was computed on
        # the unsigned release's data, whose digest release.json `signing` records
        if signing.unsigned_data_sha256 != evaluation.data_sha256:
            report.add(RELEASE_JSON, f"evaluation.data_sha256 is {evaluation.data_sha256}, "
                       "but the unsigned release this one was signed from has data digest "
                       f"{signing.unsigned_data_sha256} (signing.unsigned_data_sha256): the "
                       "validation was computed on other data", field="evaluation.data_sha256")
    elif manifest is not None and (digest := data_sha256(manifest)) != evaluation.data_sha256:
        report.add(RELEASE_JSON, f"evaluation.data_sha256 is {evaluation.data_sha256}, but "
                   f"the data files {MANIFEST_JSON} lists digest to {digest}: the validation "
                   "was computed on other data", field="evaluation.data_sha256")


def _check_summary(folder: ReleaseFolder, release: Release, recorded: ReleaseEvaluation,
                   report: VerifyReport) -> None:
    path = folder.root / METRICS
    if not path.is_file():
        return  # reported as missing
    try:
        metrics = read_metrics(path)
        expected = evaluation_of(metrics)
    except MetricsError as exc:
        report.add(METRICS, str(exc))
        return
    stated = metrics["release"]
    for key, value in (("name", release.name), ("version", release.version)):
        if stated.get(key) != value:
            report.add(METRICS, f"release.{key} is {stated.get(key)!r}; {RELEASE_JSON} states "
                       f"{value!r}: an evaluation of another release", field=f"release.{key}")
    ours, theirs = recorded.model_dump(mode="json"), expected.model_dump(mode="json")
    for key in sorted(ours):
        if ours[key] != theirs[key]:
            report.add(RELEASE_JSON, f"evaluation.{key} is {ours[key]!r}; {METRICS} gives "
                       f"{theirs[key]!r}", field=f"evaluation.{key}")
