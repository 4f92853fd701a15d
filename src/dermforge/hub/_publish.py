"""Publish a verified release folder to a Hugging Face dataset repository and tag it.

verify the release in full (and refuse an unvalidated one unless asked) → create the repo
(exist_ok) → refuse if the tag exists → upload the folder as one release (main mirrors the
release: remote files it no longer has are deleted) → tag that commit.
``huggingface_hub`` is imported lazily so ``import dermforge`` stays light.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..cards import REPO_ID_PATTERN
from ..errors import InputError, ReleaseError
from ._errors import hub_step, hub_token
from ._release import Publishable, check_publishable, check_tag

if TYPE_CHECKING:
    from huggingface_hub import HfApi

__all__ = ["DEFAULT_ENDPOINT", "PublishResult", "publish_release", "resolve_endpoint"]

DEFAULT_ENDPOINT = "https://huggingface.co"
_REPO_ID = re.compile(f"^{REPO_ID_PATTERN}$")


@dataclass(frozen=True)
class PublishResult:
    """What was published where."""

    repo_id: str
    tag: str
    endpoint: str
    repo_url: str
    commit_oid: str
    commit_url: str
    files: int
    bytes: int


def resolve_endpoint(endpoint: str | None) -> str:
    """``endpoint``, else ``$HF_ENDPOINT``, else the public Hub; without a trailing slash."""
    value = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", value):
        raise InputError(f"Hub endpoint {value!r} is not an http(s) URL",
                         fix="pass --endpoint https://host[:port] or set HF_ENDPOINT")
    return value


def publish_release(
    folder: Path | str,
    repo_id: str,
    tag: str,
    *,
    endpoint: str | None = None,
    token: str | None = None,
    private: bool = False,
    on_step: Callable[[str], None] | None = None,
    unvalidated: bool = False,
    unsigned: bool = False,
) -> PublishResult:
    """Upload the release in ``folder`` to dataset repo ``repo_id`` and tag it ``tag``.

    The token comes from ``token`` or ``$HF_TOKEN``; it is sent only as the Authorization
    header and scrubbed from every error. Before any request, the release is verified in full
    by the one verifier (`dermforge verify`: every file against MANIFEST.json and
    release.json, every row re-validated and every image re-hashed), whoever calls this; a
    folder that is not a dermforge release, a release that fails verification, and a tag
    that does not name its version, and a ``repo_id`` other than the one the card's load
    snippets name (``build.repo_id``) are refused: the uploaded card would lie. A tag that
    already exists on the Hub is refused too: published versions are never overwritten. A
    release without an attached evaluation (release.json ``evaluation`` null) is refused
    unless ``unvalidated``, and one without a ``signing`` block (not made by `dermforge
    sign`) unless ``unsigned``. A signed release is uploaded with its detached signature
    (``release.sig``).
    """
    say = on_step or (lambda _msg: None)
    if not _REPO_ID.match(repo_id):
        raise InputError(f"repository id {repo_id!r} is not of the form ORG/NAME",
                         fix="pass --repo ORG/NAME, e.g. --repo my-lab/fitz17k-dalle-aug")
    check_tag(tag)
    secret = hub_token(token)
    url = resolve_endpoint(endpoint)
    release = check_publishable(Path(folder), tag, repo_id=repo_id, unvalidated=unvalidated,
                                unsigned=unsigned)
    report = release.report
    say(f"release {release.root}: {len(release.files)} files, {_size(release.total_bytes)}; "
        f"verified {report.files} files against MANIFEST.json and release.json and "
        f"{report.images} images in {report.rows} rows")
    _refuse_offline()
    return _publish(release, repo_id, tag, url, secret, private, say)


def _publish(release: Publishable, repo_id: str, tag: str, endpoint: str, token: str,
             private: bool, say: Callable[[str], None]) -> PublishResult:
    from huggingface_hub import HfApi

    from .. import __version__

    api = HfApi(endpoint=endpoint, token=token, library_name="dermforge",
                library_version=__version__)
    with hub_step(f"creating dataset repository {repo_id}", token=token, endpoint=endpoint):
        repo_url = str(api.create_repo(repo_id, repo_type="dataset", exist_ok=True,
                                       private=True if private else None))
    say(f"repository {repo_url}")
    head = _refuse_existing_tag(api, repo_id, tag, token, endpoint)
    say(f"uploading {len(release.files)} files ({_size(release.total_bytes)}) to main")
    with hub_step(f"uploading {release.root} to {repo_id}", token=token, endpoint=endpoint):
        commit = api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=release.root,
            commit_message=f"Release {tag}",
            commit_description=f"Published with dermforge {__version__}.",
            allow_patterns=[glob.escape(name) for name in release.files],
            delete_patterns="*", parent_commit=head)
    say(f"commit {commit.oid}: {commit.commit_url}")
    _create_tag(api, repo_id, tag, commit.oid, token, endpoint)
    say(f"tagged {commit.oid[:12]} as {tag}")
    return PublishResult(repo_id=repo_id, tag=tag, endpoint=endpoint, repo_url=repo_url,
                         commit_oid=commit.oid, commit_url=commit.commit_url,
                         files=len(release.files), bytes=release.total_bytes)


def _refuse_offline() -> None:
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise InputError("HF_HUB_OFFLINE=1 is set, so huggingface_hub refuses every request "
                         "and nothing can be published",
                         fix="unset HF_HUB_OFFLINE (and TRANSFORMERS_OFFLINE) to publish")


def _refuse_existing_tag(api: HfApi, repo_id: str, tag: str, token: str,
                         endpoint: str) -> str | None:
    """Raise ReleaseError if ``tag`` exists; return the head commit of main (or None)."""
    with hub_step(f"listing the tags of {repo_id}", token=token, endpoint=endpoint):
        refs = api.list_repo_refs(repo_id, repo_type="dataset")
    for existing in refs.tags:
        if existing.name == tag:
            raise ReleaseError(
                f"{repo_id} already has tag {tag} (commit {existing.target_commit}); a "
                "published version is never overwritten",
                fix=f"bump the version: rebuild with `dermforge build --release-version "
                    f"{_next_patch(tag)}` and publish with --tag v{_next_patch(tag)}")
    return next((b.target_commit for b in refs.branches if b.name == "main"), None)


def _create_tag(api: HfApi, repo_id: str, tag: str, oid: str, token: str,
                endpoint: str) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    with hub_step(f"tagging commit {oid} as {tag}", token=token, endpoint=endpoint):
        try:
            api.create_tag(repo_id, tag=tag, revision=oid, repo_type="dataset",
                           tag_message=f"dermforge release {tag}")
        except HfHubHTTPError as exc:
            if exc.response is None or exc.response.status_code != 409:
                raise
            raise ReleaseError(
                f"tag {tag} was created on {repo_id} by someone else while this release was "
                f"uploading; main now holds this upload (commit {oid}) but {tag} does not",
                fix=f"check the repository; publish this release as --tag "
                    f"v{_next_patch(tag)} after rebuilding with that version") from None


def _next_patch(tag: str) -> str:
    major, minor, patch = check_tag(tag).split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    value, unit = n / 1000, "KB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"
