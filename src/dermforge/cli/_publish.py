"""`dermforge publish DIR --repo ORG/NAME --tag vX.Y.Z`: upload a release and tag it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReleaseError
from ..hub import publish_release
from ._common import err, out

_SHOWN = 10


def publish_cmd(
    folder: Annotated[Path, typer.Argument(help="release folder written by `dermforge build`")],
    repo: Annotated[str, typer.Option("--repo", help="dataset repository ORG/NAME")],
    tag: Annotated[str, typer.Option("--tag", help="release tag vX.Y.Z (the release version)")],
    endpoint: Annotated[str | None, typer.Option(
        "--endpoint", help="Hub URL (default: $HF_ENDPOINT, else https://huggingface.co)")] = None,
    private: Annotated[bool, typer.Option(
        "--private", help="create the repository as private (if it does not exist yet)")] = False,
) -> None:
    """Publish a release folder to a Hugging Face dataset repository and tag it.

    The token is read from HF_TOKEN only. A tag that already exists is never overwritten.
    """
    with err.status("publishing") as status:
        def step(message: str) -> None:
            status.update(message)
            err.print(message)

        result = publish_release(folder, repo, tag, endpoint=endpoint, private=private,
                                 verify=_verify_built_release, on_step=step)
    out.print(f"published {result.files} files ({result.bytes:,} bytes) to {result.repo_url}")
    out.print(f"commit: {result.commit_url}")
    out.print(f"tag: {result.tag}")
    out.print(f'load: datasets.load_dataset("{result.repo_id}", revision="{result.tag}")')


def _verify_built_release(folder: Path) -> None:
    """A folder written by `dermforge build` (it has release.json) must also pass `verify`:
    every image row re-hashed and validated, not only the files."""
    from ..builder import RELEASE_JSON, verify_release

    if not (folder / RELEASE_JSON).is_file():
        return
    report = verify_release(folder)
    if not report.ok:
        shown = "\n  ".join(report.problems[:_SHOWN])
        more = len(report.problems) - _SHOWN
        raise ReleaseError(
            f"{folder} fails `dermforge verify` ({len(report.problems)} problem(s)); nothing "
            f"was published:\n  {shown}" + (f"\n  … and {more} more" if more > 0 else ""),
            fix="restore the release or rebuild it with `dermforge build`, then publish again")
    err.print(f"verified {report.files} files and {report.images} images in {report.rows} rows")
