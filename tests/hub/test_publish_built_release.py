"""A release written by `dermforge build` round-trips through the Hub: every config, every image.

The release comes from the builder's own test factory (8 seeds, 24 candidates, 16 accepted).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from dermforge.builder import build_release
from dermforge.errors import ReleaseError
from dermforge.hub import publish_release
from dermforge.store import sha256_file
from hub.helpers import TOKEN, clean_env, files_containing, publish_cli, run_python
from release.factory import make_ready
from servers.hub_server import HubServer

REPO = "dermforge/fitz17k-dalle-aug"  # build.repo_id's default: the card names it

# Runs in a fresh process against the Hub and in this process against the local folder.
SUMMARY = '''
import hashlib
import datasets

IMAGES = {"synthetic": ["image"], "candidates": ["image"], "seeds": ["crop", "mask"],
          "experiments": [], "splits": []}

def summarize(source, revision):
    out = {}
    for config, columns in IMAGES.items():
        ds = datasets.load_dataset(source, config, revision=revision, split="train")
        features = ds.features.to_dict()
        for column in columns:
            ds = ds.cast_column(column, datasets.Image(decode=False))
        hashes = sorted(hashlib.sha256(row[c]["bytes"]).hexdigest() for row in ds
                        for c in columns)
        out[config] = {"rows": ds.num_rows, "features": features, "image_sha256": hashes}
    return out
'''

LOAD = SUMMARY + '''
import json, sys
print("RESULT " + json.dumps(summarize(sys.argv[1], sys.argv[2])))
'''


def _summarize_local(path: Path) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(SUMMARY, namespace)
    return namespace["summarize"](str(path), None)  # type: ignore[no-any-return]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    ready = make_ready(tmp_path / "ws")
    out = tmp_path / "release-1.0.0"
    build_release(ready.workspace, version="1.0.0", out=out)
    return out


def test_built_release_publishes_and_loads_identically(built: Path, tmp_path: Path) -> None:
    with HubServer(token=TOKEN) as hub:
        env = clean_env(tmp_path / "home-publisher", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
        proc = publish_cli(built, REPO, "v1.0.0", env, tmp_path)
        assert proc.returncode == 0, proc.stderr
        # the one verifier ran: 9 files besides MANIFEST.json, 16+24 images and 8 crops +
        # 8 masks in the 16 + 24 + 8 + 96 rows of synthetic, candidates, seeds and splits
        assert "verified 9 files against MANIFEST.json and release.json and 56 images in " \
            "144 rows" in proc.stderr, proc.stderr
        loaded = run_python(["-c", LOAD, REPO, "v1.0.0"],
                            clean_env(tmp_path / "home-user", HF_ENDPOINT=hub.url), tmp_path)
        assert loaded.returncode == 0, loaded.stderr
    line = next(x for x in loaded.stdout.splitlines() if x.startswith("RESULT "))
    remote = json.loads(line[len("RESULT "):])
    local = _summarize_local(built)
    assert remote == local
    assert [remote[c]["rows"] for c in ("synthetic", "candidates", "seeds", "experiments",
                                        "splits")] == \
        [16, 24, 8, 96, 96]
    for output in (proc.stdout, proc.stderr, loaded.stdout, loaded.stderr):
        assert TOKEN not in output
    assert files_containing(tmp_path, TOKEN) == []


def test_row_level_tampering_with_a_consistent_manifest_is_refused(
        built: Path, hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap one image's bytes and re-hash MANIFEST.json to match: publish_release from Python
    (no hook passed) runs the one verifier, which names the row and release.json's sha256."""
    shard = next((built / "data" / "synthetic").glob("*.parquet"))
    table = pq.read_table(shard)
    images = table.column("image").to_pylist()
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(buffer, format="PNG")
    images[0] = {"bytes": buffer.getvalue(), "path": images[0]["path"]}
    index = table.schema.get_field_index("image")
    table = table.set_column(index, table.schema.field(index),
                             pa.array(images, type=table.schema.field(index).type))
    pq.write_table(table, shard)
    manifest_path = built / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text())
    rel = shard.relative_to(built).as_posix()
    manifest["files"][rel] = {"sha256": sha256_file(shard), "size": shard.stat().st_size}
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(ReleaseError, match="fails `dermforge verify`") as info:
        publish_release(built, REPO, "v1.0.0", endpoint=hub.url, unvalidated=True, unsigned=True)
    assert rel in str(info.value) and "image bytes hash to" in str(info.value)
    assert "release.json records" in str(info.value)
    assert hub.requests == []
