"""Shards stay under the size bound, are written as `datasets` writes parquet, keep their
row groups across a small change, and load back as one config."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow.parquet as pq
from datasets import Features

from dermforge._paper import AUGMENTED_CONDITIONS
from dermforge.builder import BuildParams, build_release, verify_release
from dermforge.builder._shards import CDC_OPTIONS
from dermforge.schemas import CurationVerdict
from dermforge.store import Workspace
from release.factory import Ready, decide, fake_sources, next_version, populate, write_splits


def test_bounded_shards_and_row_groups(ready: Ready, tmp_path: Path) -> None:
    params = BuildParams(shard_max_bytes=96 * 1024, row_group_rows=4)
    result = build_release(ready.workspace, version="1.0.0", out=tmp_path / "r", params=params)
    candidates = result.shards["candidates"]
    assert len(candidates) > 1
    names = [Path(s.path).name for s in candidates]
    assert names == [f"train-{i:05d}-of-{len(names):05d}.parquet" for i in range(len(names))]
    for shard in (s for shards in result.shards.values() for s in shards):
        path = result.path / shard.path
        assert path.stat().st_size <= params.shard_max_bytes, shard
        meta = pq.ParquetFile(path).metadata
        assert all(meta.row_group(i).num_rows <= 4 for i in range(meta.num_row_groups))
    loaded = datasets.load_dataset(str(result.path), "candidates", split="train")
    assert loaded.num_rows == 24 == sum(s.rows for s in candidates)
    assert verify_release(result.path).ok


def test_shards_are_written_as_datasets_writes_them(built: tuple[Ready, Path]) -> None:
    """Page index on every column, CDC pages (in the config without images) recorded as
    `datasets` records them, and the features in the schema metadata."""
    assert CDC_OPTIONS == datasets.config.DEFAULT_CDC_OPTIONS
    _, release = built
    for shard in sorted((release / "data").rglob("*.parquet")):
        handle = pq.ParquetFile(shard)
        meta = handle.metadata
        if shard.parent.name == "experiments":
            assert meta.metadata[b"content_defined_chunking"] == json.dumps(CDC_OPTIONS).encode()
        else:  # image configs keep pyarrow's page grid: it shares more (bench_versions)
            assert b"content_defined_chunking" not in meta.metadata
        features = Features.from_arrow_schema(handle.schema_arrow)
        assert json.loads(meta.metadata[b"huggingface"]) == {
            "info": {"features": features.to_dict()}}
        group = meta.row_group(0)
        columns = [group.column(i) for i in range(group.num_columns)]
        assert all(c.has_offset_index for c in columns), shard
        stats = [c for c in columns if not c.path_in_schema.endswith(".bytes")]
        assert stats and all(c.has_column_index for c in stats), shard


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _tiny_workspace(root: Path) -> Workspace:
    ws = Workspace(root).create()
    sources = fake_sources(ws, 48, AUGMENTED_CONDITIONS, 16)
    populated = populate(ws, sources, candidates_per_seed=4, size=16)
    write_splits(ws, populated.seeds)
    ws.manifest(CurationVerdict).append(decide(populated.candidates, 2))
    return ws


def _row_groups(shard: Path) -> list[bytes]:
    """Each row group's bytes (its pages), as they lie in the file."""
    meta = pq.ParquetFile(shard).metadata
    data = shard.read_bytes()
    groups = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        columns = [group.column(j) for j in range(group.num_columns)]
        start = min(c.dictionary_page_offset or c.data_page_offset for c in columns)
        groups.append(data[start:start + sum(c.total_compressed_size for c in columns)])
    return groups


def test_a_small_change_leaves_most_row_groups_byte_identical(tmp_path: Path) -> None:
    ws = _tiny_workspace(tmp_path / "ws")
    params = BuildParams(row_group_rows=16, shard_max_bytes=256 * 2**10)
    v1 = build_release(ws, version="1.0.0", out=tmp_path / "v1", params=params).path
    again = build_release(ws, version="1.0.0", out=tmp_path / "again", params=params).path
    assert files(v1) == files(again)  # byte-reproducible with many row groups and shards
    next_version(ws, flip=2, add_seeds=2, conditions=AUGMENTED_CONDITIONS,
                 candidates_per_seed=4, accept_per_seed=2, size=16)
    v2 = build_release(ws, version="1.1.0", out=tmp_path / "v2", previous=v1,
                       params=params).path
    for config in ("candidates", "synthetic"):
        old = {g for s in sorted((v1 / "data" / config).glob("*.parquet"))
               for g in _row_groups(s)}
        new = [g for s in sorted((v2 / "data" / config).glob("*.parquet"))
               for g in _row_groups(s)]
        assert len(new) >= 8, config
        kept = sum(g in old for g in new)
        assert kept >= 0.6 * len(new), (config, kept, len(new))
    assert verify_release(v2).ok
    loaded = datasets.load_dataset(str(v2), "candidates", split="train")
    assert loaded.num_rows == (48 + 2) * 4
