"""Helpers for the publishing tests: a release-like folder, clean environments, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

TOKEN = "hf_dermforgeSECRET_7f3a9c1e5b2d4086"  # distinctive: grepped for everywhere
CONDITIONS = ["basal cell carcinoma", "squamous cell carcinoma"]


@dataclass(frozen=True)
class LocalRelease:
    root: Path
    version: str
    rows: list[dict[str, object]]  # image_id, condition, fst_group, image_sha256, png bytes


def _png(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(12, 12, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _card(version: str) -> str:
    return (
        "---\n"
        "license: cc-by-nc-sa-3.0\n"
        "task_categories:\n- image-classification\n"
        "configs:\n"
        "- config_name: synthetic\n"
        "  default: true\n"
        "  data_files:\n"
        "  - split: train\n"
        "    path: data/synthetic/*.parquet\n"
        "---\n\n"
        f"# test release {version}\n\nA tiny release-like folder for publishing tests.\n"
    )


def write_release(root: Path, version: str, *, shards: int = 2, rows_per_shard: int = 3,
                  seed: int = 0) -> LocalRelease:
    """A folder shaped like a dermforge release: card, parquet shards with an Image column,
    and MANIFEST.json with the sha256 of every file."""
    import datasets

    features = datasets.Features({
        "image": datasets.Image(),
        "image_id": datasets.Value("string"),
        "condition": datasets.ClassLabel(names=CONDITIONS),
        "fst_group": datasets.Value("string"),
        "image_sha256": datasets.Value("string"),
    })
    root.mkdir(parents=True)
    (root / "README.md").write_text(_card(version), encoding="utf-8")
    rows: list[dict[str, object]] = []
    for shard in range(shards):
        batch = []
        for i in range(rows_per_shard):
            n = seed * 1000 + shard * rows_per_shard + i
            png = _png(n)
            batch.append({"image": {"bytes": png, "path": None}, "image_id": f"img-{n:05d}",
                          "condition": n % 2, "fst_group": ["I-II", "V-VI"][n % 2],
                          "image_sha256": hashlib.sha256(png).hexdigest()})
        rows += [{**r, "png": r["image"]["bytes"]} for r in batch]  # type: ignore[index]
        data = {k: [r[k] for r in batch] for k in features}
        shard_path = root / "data" / "synthetic" / f"train-{shard:05d}-of-{shards:05d}.parquet"
        shard_path.parent.mkdir(parents=True, exist_ok=True)
        datasets.Dataset.from_dict(data, features=features).to_parquet(str(shard_path))
    files = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(root.rglob("*")) if p.is_file()}
    manifest = {"name": "test-release", "version": version, "files": files}
    (root / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return LocalRelease(root, version, rows)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh process: online, HF_HOME in tmp, no token unless given."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_TOKEN", "HF_HUB_OFFLINE", "HF_ENDPOINT", "HUGGINGFACE_CO_STAGING",
                        "HF_HUB_DISABLE_XET")}
    env.update(HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run_python(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def publish_cli(release: Path, repo: str, tag: str, env: dict[str, str], cwd: Path,
                *extra: str) -> subprocess.CompletedProcess[str]:
    return run_python(["-m", "dermforge", "publish", str(release), "--repo", repo,
                       "--tag", tag, *extra], env, cwd)


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle``."""
    raw = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
            and raw in p.read_bytes()]
