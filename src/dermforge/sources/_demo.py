"""The small real subset shipped for the demo (CC BY-NC-SA 3.0, see data/LICENSE-…)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["demo_images_dir", "license_path"]


def demo_images_dir() -> Path:
    """Folder of 48 real Fitzpatrick 17k images named ``<md5hash>.jpg``."""
    return Path(str(resources.files("dermforge.sources") / "data" / "demo"))


def license_path() -> Path:
    return Path(str(resources.files("dermforge.sources") / "data" / "LICENSE-fitzpatrick17k.md"))
