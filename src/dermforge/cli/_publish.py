"""`dermforge publish RELEASE --repo ORG/NAME --tag vX.Y.Z`: upload a release and tag it."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import JsonOption, ReleaseArgument, err, out, print_json


def publish_cmd(
    folder: ReleaseArgument,
    repo: Annotated[str, typer.Option("--repo", help="dataset repository ORG/NAME")],
    tag: Annotated[str, typer.Option("--tag", help="release tag vX.Y.Z (the release version)")],
    endpoint: Annotated[str | None, typer.Option(
        "--endpoint", help="Hub URL (default: $HF_ENDPOINT, else https://huggingface.co)")] = None,
    private: Annotated[bool, typer.Option(
        "--private", help="create the repository as private (if it does not exist yet)")] = False,
    unvalidated: Annotated[bool, typer.Option(
        "--unvalidated", help="publish a release that carries no reference evaluation "
        "(its card says it is unvalidated); without it such a release is refused")] = False,
    unsigned: Annotated[bool, typer.Option(
        "--unsigned", help="publish a release not signed by `dermforge sign` (its card says "
        "it is unsigned); without it such a release is refused")] = False,
    as_json: JsonOption = False,
) -> None:
    """Publish a release folder to a Hugging Face dataset repository and tag it.

    The release is verified in full first (as `dermforge verify` does); a release
    that fails is not published, nor one without validation (`dermforge attach`)
    unless --unvalidated is given, nor one not signed (`dermforge sign`) unless
    --unsigned is given; a signed release is uploaded with its signature. The token
    is read from HF_TOKEN only. A tag that already exists is never overwritten.
    """
    from ..hub import publish_release

    with err.status("publishing") as status:
        def step(message: str) -> None:
            status.update(message)
            err.print(message)

        result = publish_release(folder, repo, tag, endpoint=endpoint, private=private,
                                 on_step=step, unvalidated=unvalidated,
                                 unsigned=unsigned)
    if as_json:
        print_json({"repo_id": result.repo_id, "repo_url": result.repo_url,
                    "commit_url": result.commit_url, "tag": result.tag, "files": result.files,
                    "bytes": result.bytes})
        return
    out.print(f"published {result.files} files ({result.bytes:,} bytes) to {result.repo_url}")
    out.print(f"commit: {result.commit_url}")
    out.print(f"tag: {result.tag}")
    out.print(f'load: datasets.load_dataset("{result.repo_id}", revision="{result.tag}")')

