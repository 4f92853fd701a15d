"""The endpoints of the test Hub: one request in, one Response (or a HubError) out."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import yaml

from servers.hub_state import (
    GITATTRIBUTES,
    REPO_TYPES,
    URL_PREFIX,
    Commit,
    HubError,
    Repo,
    Stored,
    git_blob_sha1,
)

if TYPE_CHECKING:
    from servers.hub_server import HubServer

__all__ = ["HubApi", "Response"]

_API_REPO = re.compile(r"^/api/(datasets|models|spaces)/([^/]+/[^/]+?)(?:/(.*))?$")
_RESOLVE = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_LFS_BATCH = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)\.git/info/lfs/objects/batch$")
_LFS_OBJECT = re.compile(r"^/_lfs/([0-9a-f]{64})(/verify)?$")


class Response:
    def __init__(self, status: int = 200, body: bytes | Any = b"",
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, bytes):
            self.body = body
        else:
            self.body = json.dumps(body).encode()
            self.headers.setdefault("Content-Type", "application/json")


class HubApi:
    """One request: parse, route, answer (raises HubError for error answers)."""

    def __init__(self, hub: HubServer, method: str, raw_path: str, headers: dict[str, str],
                 body: bytes) -> None:
        self.hub, self.method, self.headers, self.body = hub, method, headers, body
        split = urlsplit(raw_path)
        self.path = split.path
        self.query = {k: v[-1] for k, v in parse_qs(split.query).items()}

    # -- auth -------------------------------------------------------------------------
    def _token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    def _require_write(self) -> None:
        token = self._token()
        if token is None or (self.hub.token is not None and token != self.hub.token):
            raise HubError(401, "Invalid credentials in Authorization header")

    def _repo(self, type_plural: str | None, repo_id: str) -> Repo:
        repo_type = REPO_TYPES.get(type_plural or "models", "model")
        repo = self.hub.repos.get((repo_type, repo_id))
        readable = repo is not None and (
            not repo.private or (self._token() is not None
                                 and self.hub.token in (None, self._token())))
        if repo is None or not readable:
            raise HubError(404, f"Repository Not Found for url: {self.path}.", "RepoNotFound")
        return repo

    @staticmethod
    def _commit(repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    def _json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError as exc:
            raise HubError(400, f"invalid JSON body: {exc}") from None

    # -- routing ----------------------------------------------------------------------
    def dispatch(self) -> Response:
        route = (self.method, self.path)
        if route == ("POST", "/api/repos/create"):
            return self.create_repo()
        if route == ("POST", "/api/validate-yaml"):
            return self.validate_yaml()
        if m := _API_REPO.match(self.path):
            return self.repo_api(m.group(1), m.group(2), m.group(3) or "")
        if self.method in ("GET", "HEAD") and (m := _RESOLVE.match(self.path)):
            return self.resolve(m.group(1), m.group(2), unquote(m.group(3)), unquote(m.group(4)))
        if self.method == "POST" and (m := _LFS_BATCH.match(self.path)):
            return self.lfs_batch(m.group(1) or "models", m.group(2))
        if m := _LFS_OBJECT.match(self.path):
            return self.lfs_object(m.group(1), verify=bool(m.group(2)))
        raise HubError(404, f"no such endpoint: {self.method} {self.path}")

    def repo_api(self, plural: str, repo_id: str, rest: str) -> Response:
        action, _, tail = rest.partition("/")
        posts = {"preupload": self.preupload, "commit": self.commit, "tag": self.tag}
        if self.method == "POST" and action in posts:
            self._require_write()
            return posts[action](self._repo(plural, repo_id), unquote(tail or "main"))
        if self.method == "GET" and action == "refs":
            return self.refs(self._repo(plural, repo_id))
        if self.method == "GET" and action == "tree":
            revision, _, sub = tail.partition("/")
            return self.tree(self._repo(plural, repo_id), unquote(revision), unquote(sub))
        if self.method == "GET" and action in ("revision", ""):
            return self.info(self._repo(plural, repo_id), unquote(tail or "main"))
        raise HubError(404, f"no such endpoint: {self.method} {self.path}")

    # -- endpoints --------------------------------------------------------------------
    def create_repo(self) -> Response:
        self._require_write()
        payload = self._json()
        repo_type = payload.get("type") or "model"
        if not payload.get("organization") or not payload.get("name"):
            raise HubError(400, "name and organization are required by this test server")
        repo_id = f"{payload['organization']}/{payload['name']}"
        url = f"{self.hub.url}/{URL_PREFIX[repo_type]}{repo_id}"
        with self.hub.lock:
            if (repo_type, repo_id) in self.hub.repos:
                return Response(409, {"error": "You already created this dataset repo",
                                      "url": url})
            private = bool(payload.get("private")) or payload.get("visibility") == "private"
            repo = Repo(repo_type, repo_id, private)
            first = self.hub.new_commit(repo, None, "initial commit",
                                        {".gitattributes": Stored(GITATTRIBUTES)})
            repo.branches["main"] = first.oid
            self.hub.repos[(repo_type, repo_id)] = repo
        return Response(200, {"url": url, "name": repo_id})

    def validate_yaml(self) -> Response:
        content = self._json().get("content", "")
        match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.DOTALL)
        errors = []
        if match:
            try:
                if not isinstance(yaml.safe_load(match.group(1)) or {}, dict):
                    errors.append({"message": "YAML metadata must be a mapping"})
            except yaml.YAMLError as exc:
                errors.append({"message": f"invalid YAML metadata: {exc}"})
        if errors:
            return Response(400, {"errors": errors, "warnings": []})
        return Response(200, {"errors": [], "warnings": []})

    def preupload(self, repo: Repo, revision: str) -> Response:
        self._commit(repo, revision)
        files = self._json().get("files", [])
        answers = []
        for f in files:
            lfs = f["path"].endswith(self.hub.lfs_suffixes) if self.hub.lfs_suffixes else False
            answers.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular",
                            "shouldIgnore": False})
        return Response(200, {"files": answers})

    def commit(self, repo: Repo, revision: str) -> Response:
        lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        with self.hub.lock:
            head = self._commit(repo, revision)
            if revision not in repo.branches:
                raise HubError(400, f"can only commit to a branch, not {revision!r}")
            files = dict(head.files)
            message = "commit"
            for line in lines:
                key, value = line["key"], line["value"]
                if key == "header":
                    message = value.get("summary", message)
                    parent = value.get("parentCommit")
                    if parent and parent != head.oid:
                        raise HubError(412, "A commit has happened since. Please refresh and "
                                       "try again.")
                elif key == "file":
                    files[value["path"]] = Stored(base64.b64decode(value["content"]))
                elif key == "lfsFile":
                    content = self.hub.lfs_objects.get(value["oid"])
                    if content is None:
                        raise HubError(422, f"LFS object {value['oid']} was never uploaded")
                    files[value["path"]] = Stored(content, lfs=True)
                elif key == "deletedFile":
                    files.pop(value["path"], None)
                elif key == "deletedFolder":
                    prefix = value["path"].rstrip("/") + "/"
                    files = {p: f for p, f in files.items() if not p.startswith(prefix)}
                else:
                    raise HubError(400, f"unknown commit operation {key!r}")
            commit = self.hub.new_commit(repo, head.oid, message, files)
            repo.branches[revision] = commit.oid
        url = f"{self.hub.url}/{URL_PREFIX[repo.repo_type]}{repo.repo_id}/commit/{commit.oid}"
        return Response(200, {"success": True, "commitOid": commit.oid, "commitUrl": url})

    def tag(self, repo: Repo, revision: str) -> Response:
        name = self._json().get("tag")
        if not name:
            raise HubError(400, "missing tag name")
        with self.hub.lock:
            commit = self._commit(repo, revision)
            if name in repo.tags:
                raise HubError(409, f"Tag {name} already exists")
            repo.tags[name] = commit.oid
        return Response(200, b"", {"Content-Type": "text/plain"})

    def refs(self, repo: Repo) -> Response:
        def refs(kind: str, mapping: dict[str, str]) -> list[dict[str, str]]:
            return [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": oid}
                    for n, oid in sorted(mapping.items())]
        return Response(200, {"branches": refs("heads", repo.branches), "converts": [],
                              "tags": refs("tags", repo.tags), "pullRequests": []})

    def tree(self, repo: Repo, revision: str, sub: str) -> Response:
        commit = self._commit(repo, revision)
        recursive = self.query.get("recursive", "false").lower() == "true"
        prefix = sub.strip("/") + "/" if sub.strip("/") else ""
        dirs = {"/".join(p.split("/")[:i]) for p in commit.files
                for i in range(1, p.count("/") + 1)}
        if prefix and prefix[:-1] not in dirs:
            raise HubError(404, f"{sub} does not exist on {revision}", "EntryNotFound")
        entries: list[dict[str, Any]] = []
        for d in sorted(dirs):
            if d.startswith(prefix) and (recursive or "/" not in d[len(prefix):]):
                oid = hashlib.sha1(f"{commit.oid}:{d}".encode()).hexdigest()
                entries.append({"type": "directory", "path": d, "oid": oid})
        for path, f in sorted(commit.files.items()):
            if path.startswith(prefix) and (recursive or "/" not in path[len(prefix):]):
                entry: dict[str, Any] = {"type": "file", "path": path,
                                         "oid": git_blob_sha1(f.content), "size": len(f.content)}
                if f.lfs:
                    entry["lfs"] = {"oid": f.etag, "size": len(f.content), "pointerSize": 134}
                entries.append(entry)
        return Response(200, entries)

    def info(self, repo: Repo, revision: str) -> Response:
        commit = self._commit(repo, revision)
        return Response(200, {"id": repo.repo_id, "sha": commit.oid, "private": repo.private,
                              "siblings": [{"rfilename": p} for p in sorted(commit.files)],
                              "tags": [], "downloads": 0, "likes": 0})

    def resolve(self, plural: str | None, repo_id: str, revision: str, path: str) -> Response:
        repo = self._repo(plural, repo_id)
        commit = self._commit(repo, revision)
        stored = commit.files.get(path)
        if stored is None:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{stored.etag}"',
                   "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        content = stored.content
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("range", ""))
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2) or len(content) - 1), len(content) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
            return Response(206, content[start:end + 1], headers)
        return Response(200, content, headers)

    def lfs_batch(self, plural: str, repo_id: str) -> Response:
        self._require_write()
        self._repo(plural, repo_id)
        objects = []
        for obj in self._json().get("objects", []):
            oid = obj["oid"]
            entry: dict[str, Any] = {"oid": oid, "size": obj["size"]}
            if oid not in self.hub.lfs_objects:
                href = f"{self.hub.url}/_lfs/{quote(oid)}"
                entry["actions"] = {"upload": {"href": href}, "verify": {"href": href + "/verify"}}
            objects.append(entry)
        return Response(200, {"transfer": "basic", "objects": objects},
                        {"Content-Type": "application/vnd.git-lfs+json"})

    def lfs_object(self, oid: str, *, verify: bool) -> Response:
        if verify:
            self._require_write()
            if oid not in self.hub.lfs_objects:
                raise HubError(404, f"LFS object {oid} not found")
            return Response(200, {"success": True})
        if self.method != "PUT":
            raise HubError(405, "LFS objects are uploaded with PUT")
        if hashlib.sha256(self.body).hexdigest() != oid:
            raise HubError(400, f"uploaded bytes do not hash to {oid}")
        with self.hub.lock:
            self.hub.lfs_objects[oid] = self.body
        return Response(200, b"")
