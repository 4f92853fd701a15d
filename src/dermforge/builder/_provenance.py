"""The build's own provenance, recorded in release.json: the code revision and the versions of
the libraries that shape the release's bytes."""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["BYTE_SHAPING_LIBRARIES", "git_revision", "library_versions"]

#: distributions whose versions can change the bytes of a release (image encoding, arrays,
#: parquet writing, image processing, dataset features, Hub layout)
BYTE_SHAPING_LIBRARIES = ("pillow", "numpy", "pyarrow", "scikit-image", "datasets",
                          "huggingface_hub")
_PACKAGE = Path(__file__).resolve().parents[1]  # the dermforge package folder
_DIRTY = "+dirty"


def library_versions() -> dict[str, str]:
    """``{distribution: version}`` of :data:`BYTE_SHAPING_LIBRARIES` and ``python``
    ("not installed" for a missing one), so a release states what wrote it."""
    found = {"python": platform.python_version()}
    for name in BYTE_SHAPING_LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_revision(package: Path = _PACKAGE) -> str | None:
    """The last commit that touched the dermforge package source, ``+dirty`` when that source
    has uncommitted changes; None outside a git checkout (e.g. an installed wheel), when git
    is not installed, or when the folder is not tracked.

    Deliberately not ``HEAD``: the build's outputs are committed after the build (``dvc.lock``
    records the release's hashes, plus metrics and plots), so HEAD moves with every release
    and recording it could never be stable — rebuilding the same code would record a new
    value each time and the byte-identical rebuild would no longer be byte-identical. The
    commit that last changed ``src/dermforge`` names the code that wrote the release, and it
    does not change when only data, records or ``dvc.lock`` are committed.
    """
    last = _git(package, "log", "-1", "--format=%H", "--", ".")
    if not last:
        return None
    changed = _git(package, "status", "--porcelain", "--", ".")
    return f"{last}{_DIRTY}" if changed else last


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
