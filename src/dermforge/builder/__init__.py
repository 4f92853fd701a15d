"""Releases: join workspace records into a Hugging Face dataset folder (typed parquet shards,
card, Croissant, manifest), diff against the previous release, verify and audit."""

from ._audit import audit_image, render_audit
from ._build import BuildResult, build_release, parse_version, resolve_created
from ._diff import PreviousRelease, ReleaseDiff, diff_releases, read_previous
from ._features import CONFIGS, FST_NAMES, condition_names, config_features
from ._folder import MANIFEST_JSON, RELEASE_JSON, ReleaseFolder
from ._index import WorkspaceIndex
from ._manifest import manifest_of, write_manifest
from ._params import BuildParams
from ._shards import ShardInfo, ShardWriter
from ._verify import VerifyReport, verify_release

__all__ = [
    "CONFIGS",
    "FST_NAMES",
    "MANIFEST_JSON",
    "RELEASE_JSON",
    "BuildParams",
    "BuildResult",
    "PreviousRelease",
    "ReleaseDiff",
    "ReleaseFolder",
    "ShardInfo",
    "ShardWriter",
    "VerifyReport",
    "WorkspaceIndex",
    "audit_image",
    "build_release",
    "condition_names",
    "config_features",
    "diff_releases",
    "manifest_of",
    "parse_version",
    "read_previous",
    "render_audit",
    "resolve_created",
    "verify_release",
    "write_manifest",
]
