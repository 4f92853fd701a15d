"""The signed-image half of `verify`: in a release whose release.json has ``signing``, every
``synthetic`` and ``candidates`` image must carry the IPTC digital source type its row implies
(XMP) and a C2PA manifest bound to its bytes whose ``org.dermforge.provenance`` assertion is
the row's (:meth:`ImageProvenance.of_row`). With a trust anchor (PEM CA certificates) the
manifest's certificate chain must validate against it; without one the chain is reported as
unchecked. Rows that do not validate as records were reported by the row check already.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic

from ..builder._features import from_arrow
from ..builder._folder import ReleaseFolder
from ..errors import InputError, IntegrityError
from ..schemas import ReleaseRow
from ._c2pa import ImageProvenance, ingredient_problems, read_credentials
from ._xmp import read_source_type

__all__ = ["MARKED_CONFIGS", "FirstAdded", "check_marks", "provenance_of",
           "read_trust_anchor"]

#: candidates first: a synthetic image is its candidate's image, with the same assertions
MARKED_CONFIGS = ("candidates", "synthetic")
Add = Callable[..., None]
_UNTRUSTED = "signingCredential.untrusted"
#: image_id → the release that first added the image (its candidates row's release_added)
FirstAdded = dict[str, str]


def provenance_of(config: str, row: ReleaseRow, first_added: FirstAdded) -> ImageProvenance:
    """The image's stable assertions. ``release_added`` is when the *image* was first
    released (its ``candidates`` row's), not when it joined ``synthetic`` (a verdict flipped
    to accept later), so both configs carry the same signed bytes; ``candidates`` rows are
    recorded in ``first_added`` for the ``synthetic`` rows that follow."""
    provenance = ImageProvenance.of_row(row)
    if config == "candidates":
        first_added[row.image_id] = row.release_added
        return provenance
    added = first_added.get(row.image_id, provenance.release_added)
    return dataclasses.replace(provenance, release_added=added)


def read_trust_anchor(path: Path) -> bytes:
    """The PEM CA certificates in ``path`` (InputError naming the path if unreadable)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"trust anchor {str(path)!r} cannot be read ({exc.strerror})",
                         fix="pass the PEM file of the CA certificate(s) the images' "
                             "Content Credentials chain to") from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise InputError(f"trust anchor {str(path)!r} holds no PEM certificate",
                         fix="pass the PEM file of the CA certificate(s) the images' "
                             "Content Credentials chain to")
    return data


def check_marks(folder: ReleaseFolder, trust_anchor: Path | None, add: Add) -> dict[str, Any]:
    """Check every marked image; each problem goes to ``add(file, problem, config=, row=,
    field=)``. Returns the `verify --json` ``marks`` block."""
    anchors = None if trust_anchor is None else read_trust_anchor(trust_anchor)
    counts = {"images": 0, "labelled": 0, "manifests": 0}
    first_added: FirstAdded = {}
    for config in MARKED_CONFIGS:
        features = folder.features(config)
        for shard, batch in folder.batches(config, batch_size=64):
            rel = shard.relative_to(folder.root).as_posix()
            for raw in batch.to_pylist():
                record = _record(raw, features)
                if record is not None:
                    expected = provenance_of(config, record, first_added)
                    _check_image(rel, config, raw, record, expected, anchors, add, counts)
    return {**counts, "chain": "unchecked" if anchors is None else "checked",
            "trust_anchor": None if trust_anchor is None else str(trust_anchor)}


def _record(raw: dict[str, Any], features: Any) -> ReleaseRow | None:
    try:
        return ReleaseRow.model_validate(from_arrow(raw, features), strict=False)
    except (pydantic.ValidationError, ValueError):
        return None  # reported by the row check


def _check_image(rel: str, config: str, raw: dict[str, Any], row: ReleaseRow,
                 expected: ImageProvenance, anchors: bytes | None, add: Add,
                 counts: dict[str, int]) -> None:
    image = row.image_id
    data = (raw.get("image") or {}).get("bytes")
    if not data:
        return  # reported by the row check
    counts["images"] += 1
    where = {"config": config, "row": image}
    if row.generated_sha256 is None:
        add(rel, "generated_sha256 is null: a signed release keeps the hash of the image as "
            "generated", field="generated_sha256", **where)
    try:
        stated = read_source_type(data, image=image)
    except InputError as exc:
        add(rel, exc.message, field="image", **where)
        return
    if stated is None:
        add(rel, "the image carries no IPTC digital source type (XMP): the AI-generated "
            "label is missing", field="image", **where)
    elif stated != expected.source_type:
        add(rel, f"the image's XMP states digital source type {stated!r}; its row implies "
            f"{expected.source_type!r}", field="image", **where)
    else:
        counts["labelled"] += 1
    if _check_manifest(rel, data, expected, anchors, add, where):
        counts["manifests"] += 1


def _check_manifest(rel: str, data: bytes, expected: ImageProvenance, anchors: bytes | None,
                    add: Add, where: dict[str, str]) -> bool:
    try:
        found = read_credentials(data, anchors, image=expected.image_id)
    except IntegrityError as exc:
        add(rel, exc.message, field="image", **where)
        return False
    if found.state == "absent":
        add(rel, "the image carries no C2PA manifest (Content Credentials)", field="image",
            **where)
        return False
    broken = [code for code in found.failures if code != _UNTRUSTED]
    if broken or (found.state not in ("Valid", "Trusted") and not found.failures):
        codes = ", ".join(broken) or found.state
        add(rel, f"the image's C2PA manifest does not validate ({codes})", field="image",
            **where)
        return False
    if anchors is not None and not found.trusted:
        add(rel, "the image's C2PA manifest is signed by a certificate that does not chain "
            "to the trust anchor", field="image", **where)
        return False
    seed = ingredient_problems(found, expected)
    for problem in seed:
        add(rel, problem, field="image", **where)
    return _same_provenance(rel, found.provenance, expected, add, where) and not seed


def _same_provenance(rel: str, stated: Any, expected: ImageProvenance, add: Add,
                     where: dict[str, str]) -> bool:
    want = json.loads(json.dumps(expected.assertion()))
    if not isinstance(stated, dict):
        add(rel, "the image's C2PA manifest has no org.dermforge.provenance assertion",
            field="image", **where)
        return False
    differ = sorted(k for k in want.keys() | stated.keys() if want.get(k) != stated.get(k))
    if differ:
        add(rel, "the image's C2PA provenance assertion disagrees with its row on "
            + ", ".join(f"{k} ({stated.get(k)!r} vs the row's {want.get(k)!r})"
                        for k in differ[:5]), field="image", **where)
        return False
    return True
