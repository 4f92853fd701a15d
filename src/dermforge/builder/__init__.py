"""Releases: join workspace records into a Hugging Face dataset folder (typed parquet shards,
card, Croissant, manifest), diff against the previous release, verify and audit.

One reader (:class:`ReleaseFolder`) and one verifier (:func:`verify_release`) serve the
builder, `verify`, `audit`, `attach` and `publish`. :func:`attach_validation` puts a reference
evaluation into a built release (``validation/``, release.json ``evaluation``).
"""

from ._attach import AttachResult, attach_validation
from ._audit import audit_image, render_audit
from ._build import BuildResult, build_release, parse_version
from ._diff import ReleaseDiff
from ._features import CONFIGS, FST_NAMES, condition_names, config_features
from ._folder import HUB_ADDED, MANIFEST_JSON, RELEASE_JSON, FileEntry, ReleaseFolder, hub_added
from ._manifest import manifest_of, write_manifest
from ._params import BuildParams
from ._provenance import BYTE_SHAPING_LIBRARIES, git_revision, library_versions
from ._shards import ShardInfo
from ._validation import VALIDATION_DIR, VALIDATION_FILES, data_sha256, evaluation_of
from ._verify import Problem, VerifyReport, verify_release

__all__ = [
    "BYTE_SHAPING_LIBRARIES",
    "CONFIGS",
    "FST_NAMES",
    "HUB_ADDED",
    "MANIFEST_JSON",
    "RELEASE_JSON",
    "VALIDATION_DIR",
    "VALIDATION_FILES",
    "AttachResult",
    "BuildParams",
    "BuildResult",
    "FileEntry",
    "Problem",
    "ReleaseDiff",
    "ReleaseFolder",
    "ShardInfo",
    "VerifyReport",
    "attach_validation",
    "audit_image",
    "build_release",
    "condition_names",
    "config_features",
    "data_sha256",
    "evaluation_of",
    "git_revision",
    "hub_added",
    "library_versions",
    "manifest_of",
    "parse_version",
    "render_audit",
    "verify_release",
    "write_manifest",
]
