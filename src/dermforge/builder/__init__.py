"""Releases: join workspace records into a Hugging Face dataset folder (typed parquet shards,
card, Croissant, manifest), diff against the previous release, verify and audit."""

from ._audit import audit_image, render_audit
from ._build import BuildResult, build_release, parse_version
from ._diff import ReleaseDiff
from ._features import CONFIGS, FST_NAMES, condition_names, config_features
from ._folder import MANIFEST_JSON, RELEASE_JSON, ReleaseFolder
from ._manifest import manifest_of, write_manifest
from ._params import BuildParams
from ._shards import ShardInfo
from ._verify import VerifyReport, verify_release

__all__ = [
    "CONFIGS",
    "FST_NAMES",
    "MANIFEST_JSON",
    "RELEASE_JSON",
    "BuildParams",
    "BuildResult",
    "ReleaseDiff",
    "ReleaseFolder",
    "ShardInfo",
    "VerifyReport",
    "audit_image",
    "build_release",
    "condition_names",
    "config_features",
    "manifest_of",
    "parse_version",
    "render_audit",
    "verify_release",
    "write_manifest",
]
