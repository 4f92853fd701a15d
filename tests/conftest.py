"""Fixtures shared by every test area (each area may add its own conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import datasets
import pytest

from dermforge.sources import demo_images_dir, import_folder, load_catalog
from dermforge.store import Workspace
from needs import require

REPO = Path(__file__).resolve().parents[1]

SHARED_DATA = Path(os.environ.get("DERMFORGE_SHARED_DATA", REPO.parent / "shared" / "data"))
SHARED_IMAGES = SHARED_DATA / "fitzpatrick17k-images"


@pytest.fixture(autouse=True)
def _isolate_environment(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep every cache (HF, DVC site cache) in temp dirs and never reach the network."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    # `datasets` reads HF_HOME once, at import: point its cache here too. It keys a local
    # folder's cache by the folder's name, its README's dataset_info and its data_files
    # patterns, not by the files' bytes, so a shared cache served one test another test's
    # rows (same folder name "release", same sizes).
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", home / "datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path_factory.mktemp("dvc_site")))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield


@pytest.fixture(scope="session")
def shared_images() -> Path:
    """The 1,561 real images of ../shared/data; skips with the reason where absent (fails
    under CI=true)."""
    require(SHARED_IMAGES.is_dir(),
            f"real Fitzpatrick 17k images not found at {SHARED_IMAGES} "
            "(set DERMFORGE_SHARED_DATA to the folder holding fitzpatrick17k-images)")
    return SHARED_IMAGES


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    """The bundled Fitzpatrick 17k catalogue (sha256-verified)."""
    return load_catalog()


@pytest.fixture
def demo_workspace(tmp_path: Path, catalog) -> Workspace:  # type: ignore[no-untyped-def]
    """A fresh workspace holding the 48 bundled real demo images."""
    workspace = Workspace(tmp_path / "ws")
    report = import_folder(demo_images_dir(), workspace, catalog)
    assert report.ok and len(report.imported) == 48
    return workspace
