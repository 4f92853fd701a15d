"""Screenshots of the workbench for the documentation site, taken by the browser tests.

Saved only when ``DERMFORGE_SCREENSHOTS`` names a folder (``make screenshots`` sets
``docs/images``; a relative folder is taken from the repository root); without it the tests
take none and behave the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["ENV", "save_screenshot"]

ENV = "DERMFORGE_SCREENSHOTS"
REPO = Path(__file__).resolve().parents[2]


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path | None:
    """Save ``page`` as ``<folder>/<name>.png`` when ``DERMFORGE_SCREENSHOTS`` is set."""
    folder = os.environ.get(ENV, "").strip()
    if not folder:
        return None
    path = REPO / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    assert path.stat().st_size > 10_000, f"{path} is too small to be a screenshot"
    return path
