"""The signed-image half of `audit`: one image's marks beside its record.

For a release whose release.json has ``signing``: the IPTC digital source type its XMP states,
its C2PA manifest (state, validation failures, every assertion and ingredient, the signer)
and every disagreement between those and what its row implies (:func:`provenance_of`, the
one rule `verify` and `sign` use). With a trust anchor the certificate chain must validate
against it (as in `dermforge verify --trust-anchor`); without one it is reported unchecked
and a valid manifest reads ``Valid``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic

from ..builder._features import from_arrow
from ..builder._folder import ReleaseFolder
from ..errors import InputError, IntegrityError
from ..schemas import ReleaseRow
from ._c2pa import Credentials, ingredient_problems, read_credentials
from ._release_check import FirstAdded, provenance_of, read_trust_anchor
from ._xmp import read_source_type

__all__ = ["audit_marks"]

_UNTRUSTED = "signingCredential.untrusted"


def audit_marks(folder: ReleaseFolder, config: str, row: dict[str, Any],
                png: bytes, *, trust_anchor: Path | None = None) -> dict[str, Any]:
    """The `audit` ``marks`` section of the image whose ``config`` row (decoded by
    ``from_arrow``) is ``row`` and whose released bytes are ``png``."""
    record = _validated(row)
    if record is None:
        return {"disagreements": ["the row does not validate as a release row; run "
                                  "`dermforge verify`"]}
    first: FirstAdded = {}
    if config == "synthetic":
        candidate = _candidate(folder, record.image_id)
        if candidate is not None:
            provenance_of("candidates", candidate, first)
    expected = provenance_of(config, record, first)
    problems: list[str] = []
    stated = _source_type(png, record.image_id, expected.source_type, problems)
    anchors = None if trust_anchor is None else read_trust_anchor(trust_anchor)
    found = _credentials(png, record.image_id, anchors, problems)
    if found is not None:
        _compare(found, json.loads(json.dumps(expected.assertion())), problems)
        problems.extend(ingredient_problems(found, expected))
    return {"digital_source_type": stated, "row_implies": expected.source_type,
            "c2pa": "absent" if found is None else found.state,
            "c2pa_failures": [] if found is None else list(found.failures),
            "chain": ("unchecked (pass --trust-anchor to check it)" if anchors is None
                      else f"checked against {trust_anchor}"),
            "signer": {} if found is None else dict(found.signer),
            "assertions": {} if found is None else dict(found.assertions),
            "ingredients": [] if found is None else [dict(i) for i in found.ingredients],
            "disagreements": problems}


def _validated(row: dict[str, Any]) -> ReleaseRow | None:
    try:
        return ReleaseRow.model_validate(row, strict=False)
    except (pydantic.ValidationError, ValueError):
        return None


def _candidate(folder: ReleaseFolder, image_id: str) -> ReleaseRow | None:
    """The image's candidates row: its release_added is when the image was first released."""
    columns = [n for n in folder.features("candidates") if n != "image"]
    raw = folder.find("candidates", "image_id", image_id, columns)
    return None if raw is None else _validated(from_arrow(raw, folder.features("candidates")))


def _source_type(png: bytes, image: str, implied: str, problems: list[str]) -> str | None:
    try:
        stated = read_source_type(png, image=image)
    except InputError as exc:
        problems.append(exc.message)
        return None
    if stated is None:
        problems.append("the image carries no IPTC digital source type (XMP): the "
                        "AI-generated label is missing")
    elif stated != implied:
        problems.append(f"the image's XMP states digital source type {stated!r}; its row "
                        f"implies {implied!r}")
    return stated


def _credentials(png: bytes, image: str, anchors: bytes | None,
                 problems: list[str]) -> Credentials | None:
    try:
        found = read_credentials(png, anchors, image=image)
    except IntegrityError as exc:
        problems.append(exc.message)
        return None
    if found.state == "absent":
        problems.append("the image carries no C2PA manifest (Content Credentials)")
        return None
    broken = [code for code in found.failures if code != _UNTRUSTED]
    if broken or found.state not in ("Valid", "Trusted"):
        problems.append(f"the image's C2PA manifest does not validate "
                        f"({', '.join(broken) or found.state})")
    elif anchors is not None and not found.trusted:
        problems.append("the image's C2PA manifest is signed by a certificate that does not "
                        "chain to the trust anchor")
    return found


def _compare(found: Credentials, want: dict[str, Any], problems: list[str]) -> None:
    stated = found.provenance
    if stated is None:
        problems.append("the image's C2PA manifest has no org.dermforge.provenance assertion")
        return
    for key in sorted(want.keys() | stated.keys()):
        if want.get(key) != stated.get(key):
            problems.append(f"C2PA provenance {key} is {stated.get(key)!r}; the row's is "
                            f"{want.get(key)!r}")
