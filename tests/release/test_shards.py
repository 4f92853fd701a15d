"""Shards stay under the size bound; many shards load back as one config."""

from __future__ import annotations

from pathlib import Path

import datasets
import pyarrow.parquet as pq

from dermforge.builder import BuildParams, build_release, verify_release
from release.factory import Ready


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
