"""`verify`, the one verifier of a release: folder ⇄ MANIFEST.json ⇄ release.json.

- every file on disk is listed in MANIFEST.json and (but for release.json itself) in
  release.json; every listed file is on disk; its size and sha256 match both records (the
  card, croissant.json, the changelog and the schema included);
- the rows the shards hold match release.json ``counts`` per config and per verdict;
- croissant.json states the release's name, version and date as release.json does;
- an attached validation (``validation/``, release.json ``evaluation``) is complete, its
  summary is what ``validation/metrics.json`` gives, and it was computed on the data files
  listed now (see ``_validation``);
- every row validates, every image hashes to the sha256 its row records, and the configs agree
  with each other (see ``_verify_rows``);
- given a public key, the detached signature (``release.sig``, ``dermforge.signing``) is by
  that key and covers every file as it is now: each changed, missing or added file is a
  problem naming it. Without a key a signed release verifies as before, and the report says
  the signature was not checked.

Each disagreement is one :class:`Problem` naming the file and, where it applies, the config,
the row id and the field. A folder that is not a release raises NotAReleaseError (exit 2)
before anything is walked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ReleaseError
from ..schemas import Release
from ..store import sha256_file
from ._features import CONFIG_ALIASES, CONFIGS
from ._folder import MANIFEST_JSON, RELEASE_JSON, SIGNATURE_NAME, FileEntry, ReleaseFolder
from ._validation import check_validation
from ._verify_rows import VERDICTS, Tally, check_rows

__all__ = ["Problem", "VerifyReport", "require_verified", "verify_release"]

CROISSANT_JSON = "croissant.json"

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One disagreement: ``file`` (relative to the release) and what disagrees with what."""

    file: str
    problem: str
    config: str | None = None
    row: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}: {self.config} row {self.row}"
        return f"{where}: {self.problem}"

    def as_json(self) -> dict[str, str | None]:
        return {"file": self.file, "config": self.config, "row": self.row,
                "field": self.field, "problem": self.problem}


@dataclass
class VerifyReport:
    root: Path
    problems: list[Problem] = field(default_factory=list)
    release: Release | None = None
    files: int = 0  # files hashed (all but MANIFEST.json)
    rows: int = 0
    images: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # rows found per config
    #: the `--json` ``signature`` block: {"checked", "present", …}; see :func:`_check_signature`
    signature: dict[str, Any] = field(default_factory=dict)
    #: the CA certificates (PEM file) the images' Content Credentials are validated against
    trust_anchor: Path | None = None
    #: the `--json` ``marks`` block of a signed release (None: unsigned)
    marks: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, file: str, problem: str, *, config: str | None = None,
            row: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(file, problem, config, row, field))

    def as_json(self) -> dict[str, Any]:
        """The shape `dermforge verify --json` prints (see the CLI's help)."""
        release = None if self.release is None else {
            "name": self.release.name, "version": self.release.version}
        return {"ok": self.ok, "root": str(self.root), "release": release,
                "checked": {"files": self.files, "rows": self.rows, "images": self.images,
                            "configs": dict(self.counts)},
                "signature": self.signature or None, "marks": self.marks,
                "problems": [p.as_json() for p in self.problems], "error": None}


def verify_release(root: Path | str, on_file: Callable[[str], None] | None = None, *,
                   public_key: Path | None = None,
                   trust_anchor: Path | None = None) -> VerifyReport:
    """Every disagreement found in the release at ``root`` (NotAReleaseError if none is);
    with ``public_key``, also the detached signature's (an unreadable key: InputError); in a
    signed release, every image's label and Content Credentials, their certificate chain
    validated against the PEM ``trust_anchor`` when given."""
    folder = ReleaseFolder(root)
    report = VerifyReport(folder.root, trust_anchor=trust_anchor)
    _check_signature(folder, public_key, trust_anchor, report)
    manifest = _record(folder, MANIFEST_JSON, report, lambda: folder.manifest)
    release = _record(folder, RELEASE_JSON, report, lambda: folder.release)
    report.release = release
    _check_files(folder, _Records(manifest, release.files if release else None), report,
                 on_file)
    tally = check_rows(folder, report)
    report.counts = {config: tally.rows[config] for config in CONFIGS}
    if release is not None:
        _check_counts(release, tally, report)
        _check_described(folder, release, report)
        check_validation(folder, release, manifest, report)
        _check_generated(release, tally, report)
    return report


def _check_generated(release: Release, tally: Tally, report: VerifyReport) -> None:
    """Unsigned: every image is as generated. Signed: every synthetic and candidates image
    carries its label and Content Credentials (``dermforge.signing``)."""
    if release.signing is None:
        for rel, config, row_id in tally.regenerated:
            report.add(rel, "generated_sha256 differs from image_sha256, but release.json has "
                       "no signing block: only `dermforge sign` changes an image's bytes",
                       config=config, row=row_id, field="generated_sha256")
        return
    from ..signing._release_check import check_marks

    report.marks = check_marks(ReleaseFolder(report.root), report.trust_anchor, report.add)


def _record(folder: ReleaseFolder, name: str, report: VerifyReport,
            read: Callable[[], T]) -> T | None:
    """One of the two records, or None with its problem reported."""
    if not (folder.root / name).is_file():
        report.add(name, "missing: every release has MANIFEST.json and release.json")
        return None
    try:
        return read()
    except ReleaseError as exc:
        report.add(name, exc.message.removeprefix(f"{folder.root / name}: "))
        return None


def _config_of(rel: str) -> str | None:
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != "data":
        return None
    config = CONFIG_ALIASES.get(parts[1], parts[1])  # data/splits/: a 0.1.0 release
    return config if config in CONFIGS else None


def _recorded_count(counts: dict[str, int], key: str) -> int | None:
    """release.json's count for ``key`` (under a renamed config's old name in a release of
    dermforge 0.1.0)."""
    if key in counts:
        return counts[key]
    return next((counts[old] for old, new in CONFIG_ALIASES.items()
                 if new == key and old in counts), None)


@dataclass(frozen=True)
class _Records:
    """The two file listings (None: unreadable, already reported)."""

    manifest: dict[str, FileEntry] | None
    release: dict[str, str] | None  # release.json ``files``: all but itself and MANIFEST.json

    def names(self) -> set[str]:
        return set(self.manifest or ()) | (set(self.release or ()) - {MANIFEST_JSON})

    def listing(self, rel: str) -> list[str]:
        return [name for name, files in ((MANIFEST_JSON, self.manifest),
                                         (RELEASE_JSON, self.release))
                if files is not None and rel in files]

    def expected_in(self, rel: str) -> list[str]:
        return [name for name, files in ((MANIFEST_JSON, self.manifest),
                                         (RELEASE_JSON, self.release))
                if files is not None and not (name == RELEASE_JSON and rel == RELEASE_JSON)]


def _check_files(folder: ReleaseFolder, records: _Records, report: VerifyReport,
                 on_file: Callable[[str], None] | None) -> None:
    present, others = folder.files()
    for rel in others:
        report.add(rel, "not a regular file (a symbolic link, device or pipe): a release "
                   "holds regular files only", config=_config_of(rel))
    on_disk = set(present)
    for rel in sorted(on_disk | records.names()):
        if rel not in on_disk:
            report.add(rel, f"missing: listed in {' and '.join(records.listing(rel))}",
                       config=_config_of(rel))
            continue
        _check_file(folder, rel, records, report)
        if on_file:
            on_file(rel)


def _check_file(folder: ReleaseFolder, rel: str, records: _Records,
                report: VerifyReport) -> None:
    config = _config_of(rel)
    actual = sha256_file(folder.root / rel)
    report.files += 1
    listing = records.listing(rel)
    unlisted = [name for name in records.expected_in(rel) if name not in listing]
    if unlisted:
        report.add(rel, f"not listed in {' or '.join(unlisted)} (added after the build)",
                   config=config)
    entry = records.manifest.get(rel) if records.manifest is not None else None
    if entry is not None and entry.sha256 != actual:
        report.add(rel, f"changed: its sha256 is {actual}; {MANIFEST_JSON} records "
                   f"{entry.sha256}", config=config, field="sha256")
    elif entry is not None and entry.size != (size := (folder.root / rel).stat().st_size):
        report.add(rel, f"its size is {size} bytes; {MANIFEST_JSON} records {entry.size}",
                   config=config, field="size")
    recorded = records.release.get(rel) if records.release is not None else None
    if recorded is not None and recorded != actual:
        report.add(rel, f"changed: its sha256 is {actual}; {RELEASE_JSON} records {recorded}",
                   config=config, field="sha256")


def _check_counts(release: Release, tally: Tally, report: VerifyReport) -> None:
    expected = [(config, config, tally.rows[config], f"{config} rows") for config in CONFIGS]
    expected += [("candidates", f"verdict_{v}", tally.verdicts[v],
                  f"candidates rows with verdict {v}") for v in VERDICTS]
    for config, key, found, what in expected:
        recorded = _recorded_count(release.counts, key)
        if recorded is None:
            report.add(RELEASE_JSON, f"counts has no {key!r} entry; the shards hold {found} "
                       f"{what}", config=config, field=f"counts.{key}")
        elif recorded != found:
            report.add(RELEASE_JSON, f"counts {recorded} {what}; the shards hold {found}",
                       config=config, field=f"counts.{key}")


def _check_described(folder: ReleaseFolder, release: Release, report: VerifyReport) -> None:
    """croissant.json (whose sha256 release.json records) states the same release."""
    path = folder.root / CROISSANT_JSON
    if not path.is_file():
        return  # reported as missing above
    try:
        stated = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        report.add(CROISSANT_JSON, f"is not valid JSON ({exc})")
        return
    if not isinstance(stated, dict):
        report.add(CROISSANT_JSON, "is not a JSON object")
        return
    for key, expected in (("name", release.name), ("version", release.version),
                          ("datePublished", release.created.isoformat())):
        if stated.get(key) != expected:
            report.add(CROISSANT_JSON, f"{key} is {stated.get(key)!r}; {RELEASE_JSON} states "
                       f"{expected!r}", field=key)


def _check_signature(folder: ReleaseFolder, public_key: Path | None,
                     trust_anchor: Path | None, report: VerifyReport) -> None:
    """With a public key, release.sig is checked (key or certificate method); with only a
    trust anchor, a certificate-method release.sig is (a key-method one needs the key)."""
    path = folder.root / SIGNATURE_NAME
    present = path.is_file()
    unchecked = {"checked": False, "present": present, "signature": SIGNATURE_NAME}
    if public_key is None and (trust_anchor is None or not present):
        report.signature = unchecked
        return
    from ..signing._folder_sig import signature_method, verify_folder

    if public_key is None and signature_method(path) != "certificate":
        report.signature = unchecked
        return
    checked = verify_folder(folder.root, public_key, trust_anchor=trust_anchor)
    report.signature = {"present": present, **checked.as_json()}
    if checked.error is not None:
        report.add(SIGNATURE_NAME, checked.error)
    for rel in checked.changed:
        report.add(rel, f"changed since it was signed: its sha256 differs from the one "
                   f"{SIGNATURE_NAME} signs", config=_config_of(rel), field="sha256")
    for rel in checked.missing:
        report.add(rel, f"missing: {SIGNATURE_NAME} signs it", config=_config_of(rel))
    for rel in checked.added:
        report.add(rel, f"not signed: added after {SIGNATURE_NAME} was made",
                   config=_config_of(rel))


def require_verified(root: Path, *, refusal: str, fix: str) -> None:
    """Raise ReleaseError listing the first problems when the release at ``root`` fails
    verification; ``refusal`` says why the caller's work would be wrong on such a release
    (e.g. "attaching would sign its files again, so nothing was attached")."""
    report = verify_release(root)
    if not report.ok:
        shown = "\n  ".join(map(str, report.problems[:10]))
        raise ReleaseError(f"{root} fails `dermforge verify` ({len(report.problems)} "
                           f"problem(s)); {refusal}:\n  {shown}", fix=fix)
