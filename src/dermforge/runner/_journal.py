"""Durable hand-off of a response: journal first, then blobs and Candidate records.

The moment a response arrives its images and their Candidate records are written to one
journal file ``<workspace>/pending/<request_id>.json`` (temp file + fsync + rename). Then
each image goes to the blob store, the candidates are appended to the manifest in one
atomic append, and the journal is deleted. A kill at any point leaves either nothing (the
response never reached the disk) or a complete journal, which the next run replays first:
nothing paid for is lost and no blob stays without its record.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import JsonValue

from .._atomic import atomic_write_text, fsync_dir
from ..errors import IntegrityError
from ..generators import GenerationResult
from ..schemas import Candidate, GenerationRequest, candidate_id
from ..store import Workspace, sha256_bytes

#: the blob layer of the generate stage (candidates)
GENERATE_LAYER = "generate"

__all__ = ["GENERATE_LAYER", "candidates_for", "commit", "journal_dir", "recover", "write_journal"]

_VERSION = 1


def journal_dir(workspace: Workspace) -> Path:
    return workspace.root / "pending"


def candidates_for(request: GenerationRequest, result: GenerationResult,
                   ) -> list[tuple[Candidate, bytes]]:
    """One Candidate per image (index order); the request's cost is split evenly."""
    count = len(result.images)
    per_image = None if result.cost_usd is None else result.cost_usd / count
    pairs = []
    for index, image in enumerate(result.images):
        metadata: dict[str, JsonValue] = {**result.metadata, **image.metadata}
        if result.cost_usd is not None:
            metadata["request_cost_usd"] = result.cost_usd
        record = Candidate(
            candidate_id=candidate_id(request.request_id, index), request_id=request.request_id,
            index=index, source_id=request.source_id, backend=request.backend,
            model=request.model, sha256=sha256_bytes(image.data), width=image.width,
            height=image.height, format=image.format, created=result.created,
            cost_usd=per_image, metadata=metadata)
        pairs.append((record, image.data))
    return pairs


def write_journal(workspace: Workspace, request_id: str,
                  pairs: Sequence[tuple[Candidate, bytes]]) -> Path:
    """Write the response durably (one file, atomic); return its path."""
    path = journal_dir(workspace) / f"{request_id}.json"
    payload = {
        "version": _VERSION,
        "request_id": request_id,
        "candidates": [record.model_dump_json() for record, _ in pairs],
        "images_b64": [base64.b64encode(data).decode("ascii") for _, data in pairs],
    }
    atomic_write_text(path, json.dumps(payload, separators=(",", ":")))
    return path


def _read_journal(path: Path) -> list[tuple[Candidate, bytes]]:
    payload = json.loads(path.read_text(encoding="utf-8"))
    records = [Candidate.model_validate_json(c) for c in payload["candidates"]]
    images = [base64.b64decode(b) for b in payload["images_b64"]]
    return list(zip(records, images, strict=True))


def commit(workspace: Workspace, path: Path, known_ids: set[str]) -> list[Candidate]:
    """Store a journal's images and append its new candidates; delete it; return the new."""
    pairs = _read_journal(path)
    fresh = []
    for record, data in pairs:
        if workspace.blobs.put(data, layer=GENERATE_LAYER) != record.sha256:
            raise IntegrityError(f"journal {path} holds an image whose bytes do not hash to "
                                 f"its record's sha256 {record.sha256}",
                                 fix="delete the journal file; the request will be redone")
        if record.candidate_id not in known_ids:
            fresh.append(record)
    workspace.manifest(Candidate).append(fresh)
    known_ids.update(r.candidate_id for r in fresh)
    path.unlink()
    fsync_dir(path.parent)
    return fresh


def recover(workspace: Workspace, belongs: Callable[[str], bool], known_ids: set[str],
            ) -> list[Candidate]:
    """Replay every complete journal whose request ``belongs`` to this run; drop temp files.

    Returns the candidates recovered (responses paid for by a run that was killed).
    """
    folder = journal_dir(workspace)
    if not folder.is_dir():
        return []
    recovered: list[Candidate] = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(".") and name.endswith(".tmp"):
            request_id = name[1:].split(".", 1)[0]
            if belongs(request_id):  # an interrupted journal write of ours: never completed
                path.unlink(missing_ok=True)
        elif name.endswith(".json") and belongs(name.removesuffix(".json")):
            recovered += commit(workspace, path, known_ids)
    return recovered
