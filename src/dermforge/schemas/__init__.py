"""Pydantic v2 models of every provenance record, and their JSON Schema export."""

from ._base import (
    EXPERT_QUALIFICATIONS,
    FIELD_DOCS,
    FST_GROUPS,
    QUALIFICATIONS,
    Fitzpatrick,
    FstGroup,
    Md5,
    Qualification,
    Record,
    SemVer,
    Sha256,
    SourceId,
    canonical_json,
    fst_group,
    sha256_of_canonical,
)
from ._curation import CandidateSignals, CurationVerdict, SignalFlag, StudyAnswer
from ._evaluation import ReleaseEvaluation, ReleaseSigning
from ._export import RECORD_TYPES, export_json_schemas, json_schema_text
from ._generation import Candidate, GenerationFailure, GenerationRequest, candidate_id
from ._generator import C2paSummary, ComfyUIGraph, GeneratorMetadata, WebUIParameters
from ._prepare import Crop, CropBox, Mask, Prompt, PromptSlots
from ._release import SEED_COLUMNS, TEXT_TO_IMAGE, Release, ReleaseRow, SeedRow
from ._seeds import SamplingSpec, Seed, SplitMembership
from ._source import DownloadFailure, SourceImage

__all__ = [
    "EXPERT_QUALIFICATIONS",
    "FIELD_DOCS",
    "FST_GROUPS",
    "QUALIFICATIONS",
    "RECORD_TYPES",
    "SEED_COLUMNS",
    "TEXT_TO_IMAGE",
    "C2paSummary",
    "Candidate",
    "CandidateSignals",
    "ComfyUIGraph",
    "Crop",
    "CropBox",
    "CurationVerdict",
    "DownloadFailure",
    "Fitzpatrick",
    "FstGroup",
    "GenerationFailure",
    "GenerationRequest",
    "GeneratorMetadata",
    "Mask",
    "Md5",
    "Prompt",
    "PromptSlots",
    "Qualification",
    "Record",
    "Release",
    "ReleaseEvaluation",
    "ReleaseRow",
    "ReleaseSigning",
    "SamplingSpec",
    "Seed",
    "SeedRow",
    "SemVer",
    "Sha256",
    "SignalFlag",
    "SourceId",
    "SourceImage",
    "SplitMembership",
    "StudyAnswer",
    "WebUIParameters",
    "candidate_id",
    "canonical_json",
    "export_json_schemas",
    "fst_group",
    "json_schema_text",
    "sha256_of_canonical",
]
