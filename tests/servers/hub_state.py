"""State of the test Hub: repos → branches and tags → commits → {path: bytes}."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Commit", "Fault", "HubError", "Recorded", "Repo", "Stored", "git_blob_sha1"]

REPO_TYPES = {"datasets": "dataset", "models": "model", "spaces": "space"}
URL_PREFIX = {"dataset": "datasets/", "model": "", "space": "spaces/"}
_SHA = re.compile(r"^[0-9a-f]{40}$")
GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_sha1(content: bytes) -> str:
    """The git object id of a blob, as the Hub reports for regular files."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass(frozen=True)
class Stored:
    content: bytes
    lfs: bool = False

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.content).hexdigest() if self.lfs else git_blob_sha1(self.content)


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    message: str
    files: dict[str, Stored]

    def content(self) -> dict[str, bytes]:
        return {path: f.content for path, f in self.files.items()}


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        for prefix, refs in (("refs/heads/", self.branches), ("refs/tags/", self.tags)):
            if revision.startswith(prefix) and revision[len(prefix):] in refs:
                return self.commits[refs[revision[len(prefix):]]]
        oid = self.branches.get(revision) or self.tags.get(revision)
        if oid is None and _SHA.match(revision):
            oid = revision
        return self.commits.get(oid) if oid else None

    def head(self, branch: str = "main") -> Commit:
        return self.commits[self.branches[branch]]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    message: str
    error_code: str | None
    times: int
    body: Any = None


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None,
                 body: Any = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.body = status, message, code, body
