"""A release written by dermforge 0.1.0 (config ``splits`` with ``group``; ``seed_fitzpatrick``
and ``seed_sha256``; JSON objects as plain strings; no ``reviewer_qualification``) still
verifies, audits, and serves as ``--previous``; the new release notes the schema change."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features, Value

from dermforge.builder import audit_image, build_release, verify_release
from dermforge.builder._features import JSON_COLUMNS, SCHEMA_CHANGE_NOTE
from dermforge.builder._manifest import write_manifest
from dermforge.store import sha256_file
from release.factory import Ready

OLD_NAMES = {"fitzpatrick": "seed_fitzpatrick", "source_sha256": "seed_sha256"}


def _downgrade_shard(path: Path, config: str) -> None:
    table = pq.read_table(path)
    features = Features.from_arrow_schema(table.schema)
    if config in ("synthetic", "candidates"):
        table = table.drop_columns(["reviewer_qualification"])
    renames = {"fst_group": "group"} if config == "splits" else (
        OLD_NAMES if config in ("synthetic", "candidates") else {})
    old = Features({renames.get(k, k): (Value("string") if k in JSON_COLUMNS else f)
                    for k, f in features.items() if k in table.column_names})
    table = table.rename_columns([renames.get(n, n) for n in table.column_names])
    pq.write_table(table.cast(old.arrow_schema), path)


def as_0_1_0(root: Path) -> None:
    (root / "data" / "experiments").rename(root / "data" / "splits")
    for config in ("synthetic", "candidates", "seeds", "splits"):
        for shard in (root / "data" / config).glob("*.parquet"):
            _downgrade_shard(shard, config)
    release = json.loads((root / "release.json").read_text())
    release["counts"]["splits"] = release["counts"].pop("experiments")
    release["files"] = {k.replace("data/experiments/", "data/splits/"): v
                        for k, v in release["files"].items()}
    release["files"] = {k: sha256_file(root / k) for k in release["files"]}
    (root / "release.json").write_text(json.dumps(release, indent=2, sort_keys=True) + "\n")
    write_manifest(root)


def test_a_0_1_0_release_verifies_audits_and_is_a_previous_release(
        built: tuple[Ready, Path], release_copy: Path, tmp_path: Path) -> None:
    ready, _ = built
    as_0_1_0(release_copy)
    schema = pq.read_schema(next((release_copy / "data" / "synthetic").glob("*.parquet")))
    assert "seed_fitzpatrick" in schema.names and "fitzpatrick" not in schema.names
    assert schema.field("request_parameters").type == pa.string()
    report = verify_release(release_copy)
    assert report.ok, [str(p) for p in report.problems]
    assert report.counts["experiments"] == 96
    image_id = pq.read_table(next((release_copy / "data" / "synthetic").glob("*.parquet")),
                             columns=["image_id"]).column(0)[0].as_py()
    lineage = audit_image(release_copy, image_id)
    assert lineage["source"]["fitzpatrick"] in range(1, 7)
    assert isinstance(lineage["request"]["parameters"], dict)
    v2 = build_release(ready.workspace, version="1.1.0", out=tmp_path / "v2",
                       previous=release_copy)
    assert SCHEMA_CHANGE_NOTE in v2.release.changelog
    assert verify_release(v2.path).ok
