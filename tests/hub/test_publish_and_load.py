"""End to end: `dermforge publish` to a local Hub, then `load_dataset` from it in fresh processes.

The module builds v1.0.0 (two synthetic shards) and then v1.1.0 (four images withdrawn, one
shard) with `dermforge build`, and publishes both to one repository, each with the real CLI in
a subprocess, as a maintainer would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from hub.helpers import (
    REPO,
    TOKEN,
    LocalRelease,
    clean_env,
    files_containing,
    make_workspace,
    publish_cli,
    run_python,
    write_release,
)
from servers.hub_server import HubServer

LOAD_SCRIPT = """
import hashlib, json, sys
import datasets
result = {}
for tag in sys.argv[2:]:
    ds = datasets.load_dataset(sys.argv[1], revision=tag)["train"]
    features = ds.features.to_dict()
    ds = ds.cast_column("image", datasets.Image(decode=False))
    rows = [{"image_id": r["image_id"], "condition": r["condition"], "fst_group": r["fst_group"],
             "image_sha256": r["image_sha256"],
             "bytes_sha256": hashlib.sha256(r["image"]["bytes"]).hexdigest()} for r in ds]
    result[tag] = {"features": features, "rows": rows}
print("RESULT " + json.dumps(result))
"""


@dataclass
class Published:
    root: Path
    hub: HubServer
    v1: LocalRelease
    v11: LocalRelease
    outputs: list[CompletedProcess[str]] = field(default_factory=list)

    def env(self, home: str, **extra: str) -> dict[str, str]:
        return clean_env(self.root / home, HF_ENDPOINT=self.hub.url, **extra)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("published")
    workspace = make_workspace(root / "ws")
    v1 = write_release(root / "release-1.0.0", "1.0.0", workspace, shards=2)
    v11 = write_release(root / "release-1.1.0", "1.1.0", workspace, reject_first=4,
                        previous=v1.root)
    assert len(v1.rows) == 16 and len(v11.rows) == 12
    with HubServer(token=TOKEN) as hub:
        state = Published(root, hub, v1, v11)
        for release, tag in ((v1, "v1.0.0"), (v11, "v1.1.0")):
            proc = publish_cli(release.root, REPO, tag,
                               state.env("hf-publisher", HF_TOKEN=TOKEN), root)
            state.outputs.append(proc)
            assert proc.returncode == 0, proc.stderr
        yield state


def _load(state: Published, home: str, *tags: str, **extra: str) -> dict[str, Any]:
    """``load_dataset(REPO, revision=tag)`` for each tag, in one fresh process."""
    proc = run_python(["-c", LOAD_SCRIPT, REPO, *tags], state.env(home, **extra), state.root)
    state.outputs.append(proc)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])  # type: ignore[no-any-return]


def _local_files(release: LocalRelease) -> dict[str, bytes]:
    return {p.relative_to(release.root).as_posix(): p.read_bytes()
            for p in release.root.rglob("*") if p.is_file()}


def test_publish_uploads_every_file_and_tags_the_commit(published: Published) -> None:
    repo = published.hub.repo(REPO)
    v1 = repo.resolve("v1.0.0")
    v11 = repo.resolve("v1.1.0")
    assert v1 is not None and v11 is not None and v1.oid != v11.oid
    # each tag holds exactly its release (plus the repo's .gitattributes), byte for byte
    assert {k: v for k, v in v1.content().items() if k != ".gitattributes"} == \
        _local_files(published.v1)
    assert {k: v for k, v in v11.content().items() if k != ".gitattributes"} == \
        _local_files(published.v11)
    # main mirrors the latest release: v1.0.0's second shard is gone from main, not from v1.0.0
    assert repo.branches["main"] == v11.oid
    assert "data/synthetic/train-00001-of-00002.parquet" in v1.files
    assert "data/synthetic/train-00001-of-00002.parquet" not in v11.files
    out = published.outputs[0].stdout
    assert f"published {len(_local_files(published.v1))} files" in out
    assert "tag: v1.0.0" in out and f"/commit/{v1.oid}" in out


def test_token_sent_as_bearer_only_to_the_endpoints_that_need_it(published: Published) -> None:
    writes = [r for r in published.hub.requests if r.method in ("POST", "PUT")]
    assert writes, "no write requests recorded"
    for r in writes:
        assert r.headers.get("authorization") == f"Bearer {TOKEN}", r.path
    for r in published.hub.requests:
        assert TOKEN not in r.path and TOKEN.encode() not in r.body
        others = {k: v for k, v in r.headers.items() if k != "authorization"}
        assert TOKEN not in json.dumps(others)
    tag_calls = [r.path for r in published.hub.requests if "/tag/" in r.path]
    assert len(tag_calls) == 2


def test_load_dataset_by_tag_from_the_hub_then_offline(published: Published) -> None:
    import datasets

    expected = sorted(
        ({"image_id": r["image_id"], "condition": r["condition"], "fst_group": r["fst_group"],
          "image_sha256": r["image_sha256"],
          "bytes_sha256": hashlib.sha256(r["png"]).hexdigest()}  # type: ignore[arg-type]
         for r in published.v1.rows), key=lambda r: str(r["image_id"]))
    local = datasets.load_dataset(str(published.v1.root))["train"]

    online = _load(published, "hf-user", "v1.0.0")["v1.0.0"]
    assert sorted(online["rows"], key=lambda r: r["image_id"]) == expected
    assert online["features"] == local.features.to_dict()
    assert online["features"]["condition"]["_type"] == "ClassLabel"

    # One cached revision per HF_HOME: offline, `datasets` ignores `revision` and takes the
    # most recently cached one (huggingface/datasets#7928), so v1.1.0 is loaded elsewhere.
    before = len(published.hub.requests)
    offline = _load(published, "hf-user", "v1.0.0", HF_HUB_OFFLINE="1")["v1.0.0"]
    assert offline == online
    assert len(published.hub.requests) == before, "an offline load reached the server"


def test_later_version_loads_its_own_rows(published: Published) -> None:
    latest = _load(published, "hf-user-2", "v1.1.0")["v1.1.0"]
    assert sorted(r["image_id"] for r in latest["rows"]) == \
        sorted(str(r["image_id"]) for r in published.v11.rows)


def test_publishing_an_existing_tag_again_is_refused(published: Published) -> None:
    repo = published.hub.repo(REPO)
    heads = dict(repo.branches), dict(repo.tags)
    before = len(published.hub.requests)
    proc = publish_cli(published.v1.root, REPO, "v1.0.0",
                       published.env("hf-publisher", HF_TOKEN=TOKEN), published.root)
    published.outputs.append(proc)
    assert proc.returncode == 1
    assert "already has tag v1.0.0" in proc.stderr and "never overwritten" in proc.stderr
    assert "--release-version 1.0.1" in proc.stderr and "--tag v1.0.1" in proc.stderr
    assert (dict(repo.branches), dict(repo.tags)) == heads
    new_paths = published.hub.paths_hit()[before:]
    assert not [p for p in new_paths if "/commit/" in p or "/preupload/" in p], new_paths


def test_token_appears_nowhere_in_output_or_files(published: Published) -> None:
    assert len(published.outputs) >= 2
    for proc in published.outputs:
        assert TOKEN not in proc.stdout and TOKEN not in proc.stderr
    # the whole tree: releases, HF_HOME of publisher and users (hub cache, xet logs, ...)
    assert list(published.root.rglob("*")), "nothing to scan"
    assert files_containing(published.root, TOKEN) == []
