"""`audit` on a signed release: the image's XMP label and C2PA assertions beside its record,
and every disagreement between the manifest and the row flagged (exit 1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clirun import CliFailed, invoke
from dermforge.builder import audit_image, build_release
from dermforge.signing import PROVENANCE_LABEL, sign_release
from release.factory import make_ready
from signing.helpers import Pki


@pytest.fixture(scope="module")
def releases(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("audit-signed")
    ready = make_ready(root / "ws")
    unsigned = build_release(ready.workspace, version="1.0.0", out=root / "v1").path
    signed = sign_release(unsigned, key=pki.key, cert=pki.chain, out=root / "s1",
                          cache=root / "cache").path
    return unsigned, signed


def _first(release: Path, config: str) -> dict[str, object]:
    shard = sorted((release / "data" / config).glob("*.parquet"))[0]
    return dict(pq.read_table(shard).to_pylist()[0])


def test_audit_shows_the_marks_beside_the_record(releases: tuple[Path, Path]) -> None:
    unsigned, signed = releases
    row = _first(signed, "synthetic")
    image_id = str(row["image_id"])
    lineage = audit_image(signed, image_id)
    assert "marks" not in audit_image(unsigned, image_id)
    image, marks = lineage["image"], lineage["marks"]
    assert image["sha256"] == row["image_sha256"] != image["generated_sha256"]
    assert image["generated_sha256"] == _first(unsigned, "synthetic")["image_sha256"]
    assert marks["disagreements"] == []
    assert marks["digital_source_type"] == marks["row_implies"]
    assert marks["c2pa"] == "Valid" and marks["chain"].startswith("unchecked")
    provenance = marks["assertions"][PROVENANCE_LABEL]
    assert provenance["image_id"] == image_id
    assert provenance["prompt"] == lineage["prompt"]["text"]
    assert provenance["reviewer"] == lineage["verdict"]["reviewer"]
    assert provenance["digital_source_type"] == marks["digital_source_type"]
    assert "c2pa.actions.v2" in marks["assertions"]  # c2pa-python writes actions v2

    text = invoke("audit", str(signed), image_id).stdout
    assert f"  digital_source_type: {marks['digital_source_type']}" in text
    assert f"  assertion {PROVENANCE_LABEL}: " in text and "  disagreements: -" in text
    assert f"generated_sha256: {image['generated_sha256']}" in text
    assert json.loads(invoke("audit", str(signed), image_id, "--json").stdout)["marks"] == \
        json.loads(json.dumps(marks))


def test_audit_flags_a_row_that_disagrees_with_the_manifest(releases: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    _, signed = releases
    copy = tmp_path / "tampered"
    shutil.copytree(signed, copy)
    shard = sorted((copy / "data" / "synthetic").glob("*.parquet"))[0]
    table = pq.read_table(shard)
    rows = table.to_pylist()
    image_id = rows[0]["image_id"]
    rows[0]["reviewer"] = "someone-else"  # the record changed, the signed bytes did not
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), shard)
    marks = audit_image(copy, image_id)["marks"]
    assert len(marks["disagreements"]) == 1
    assert "C2PA provenance reviewer is" in marks["disagreements"][0]
    assert "the row's is 'someone-else'" in marks["disagreements"][0]
    with pytest.raises(CliFailed) as info:
        invoke("audit", str(copy), image_id)
    assert info.value.exit_code == 1
    assert "its marks disagree with its row (1)" in str(info.value)


def test_audit_checks_the_chain_against_a_trust_anchor(releases: tuple[Path, Path],
                                                       pki: Pki, tmp_path: Path) -> None:
    _, signed = releases
    image_id = str(_first(signed, "synthetic")["image_id"])
    ours, other = tmp_path / "ca.pem", tmp_path / "other-ca.pem"
    ours.write_bytes(pki.anchor)
    other.write_bytes(pki.other_anchor)
    trusted = audit_image(signed, image_id, trust_anchor=ours)["marks"]
    assert trusted["c2pa"] == "Trusted" and trusted["disagreements"] == []
    assert trusted["chain"] == f"checked against {ours}"
    seeds = [i for i in trusted["ingredients"] if i["relationship"] == "componentOf"]
    assert [i["instance_id"] for i in seeds] == \
        ["sha256:" + str(_first(signed, "synthetic")["crop_sha256"])]
    text = invoke("audit", str(signed), image_id, "--trust-anchor", str(ours)).stdout
    assert f"  ingredient componentOf: {seeds[0]['instance_id']}" in text
    with pytest.raises(CliFailed) as info:
        invoke("audit", str(signed), image_id, "--trust-anchor", str(other))
    assert info.value.exit_code == 1
    assert "does not chain to the trust anchor" in str(info.value)
