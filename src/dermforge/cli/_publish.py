"""`dermforge publish DIR --repo ORG/NAME --tag vX.Y.Z`: upload a release and tag it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..hub import publish_release
from ._common import err, out


def publish_cmd(
    folder: Annotated[Path, typer.Argument(help="release folder written by `dermforge build`")],
    repo: Annotated[str, typer.Option("--repo", help="dataset repository ORG/NAME")],
    tag: Annotated[str, typer.Option("--tag", help="release tag vX.Y.Z (the release version)")],
    endpoint: Annotated[str | None, typer.Option(
        "--endpoint", help="Hub URL (default: $HF_ENDPOINT, else https://huggingface.co)")] = None,
    private: Annotated[bool, typer.Option(
        "--private", help="create the repository as private (if it does not exist yet)")] = False,
    unvalidated: Annotated[bool, typer.Option(
        "--unvalidated", help="publish a release that carries no reference evaluation "
        "(its card says it is unvalidated); without it such a release is refused")] = False,
) -> None:
    """Publish a release folder to a Hugging Face dataset repository and tag it.

    The release is verified in full first (as `dermforge verify` does); a release
    that fails is not published, nor one without validation (`dermforge attach`)
    unless --unvalidated is given. The token is read from HF_TOKEN only. A tag that
    already exists is never overwritten.
    """
    with err.status("publishing") as status:
        def step(message: str) -> None:
            status.update(message)
            err.print(message)

        result = publish_release(folder, repo, tag, endpoint=endpoint, private=private,
                                 on_step=step, unvalidated=unvalidated)
    out.print(f"published {result.files} files ({result.bytes:,} bytes) to {result.repo_url}")
    out.print(f"commit: {result.commit_url}")
    out.print(f"tag: {result.tag}")
    out.print(f'load: datasets.load_dataset("{result.repo_id}", revision="{result.tag}")')

