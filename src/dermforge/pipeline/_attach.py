"""The attach stage: an evaluation's reports → the release's ``validation/``, release.json
``evaluation``, card, Croissant and MANIFEST.json (in place, or into a new folder); refuses an
evaluation of another release or of other data, and a release that fails `verify`."""

from __future__ import annotations

from pathlib import Path

from ..builder import AttachResult, attach_validation

__all__ = ["run_attach"]


def run_attach(release: Path | str, evaluation_dir: Path | str, *,
               out: Path | str | None = None) -> AttachResult:
    """Attach the `dermforge evaluate --out` folder ``evaluation_dir`` to ``release``: in
    place (atomically) by default, else into the new folder ``out``."""
    return attach_validation(release, evaluation_dir, out=out)
