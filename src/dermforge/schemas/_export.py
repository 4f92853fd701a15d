"""JSON Schema export: one file per record type."""

from __future__ import annotations

import json
from pathlib import Path

from .._atomic import atomic_write_text
from ._base import Record
from ._curation import Assignment, CandidateSignals, CurationVerdict, ReviewerEvent, StudyAnswer
from ._generation import Candidate, GenerationFailure, GenerationRequest
from ._generator import GeneratorMetadata
from ._prepare import Crop, Mask, Prompt
from ._release import Release, ReleaseRow, SeedRow
from ._seeds import Seed, SplitMembership
from ._source import DownloadFailure, SourceImage

__all__ = ["RECORD_TYPES", "export_json_schemas", "json_schema_text"]

RECORD_TYPES: tuple[type[Record], ...] = (
    SourceImage,
    DownloadFailure,
    Seed,
    SplitMembership,
    Crop,
    Mask,
    Prompt,
    GenerationRequest,
    Candidate,
    GeneratorMetadata,
    GenerationFailure,
    CurationVerdict,
    CandidateSignals,
    StudyAnswer,
    ReviewerEvent,
    Assignment,
    ReleaseRow,
    SeedRow,
    Release,
)

SCHEMA_ID_BASE = "https://github.com/dermforge/dermforge/schemas/"


def json_schema_text(model: type[Record]) -> str:
    """The model's JSON Schema as stable, indented text."""
    schema = model.model_json_schema()
    schema = {"$id": f"{SCHEMA_ID_BASE}{model.__name__}.schema.json", **schema}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_json_schemas(directory: Path) -> list[Path]:
    """Write ``<Model>.schema.json`` for every record type into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for model in RECORD_TYPES:
        path = directory / f"{model.__name__}.schema.json"
        atomic_write_text(path, json_schema_text(model))
        written.append(path)
    return written
