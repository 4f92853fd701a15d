"""`audit` prints an image's whole lineage from the release folder alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dermforge.builder import audit_image
from dermforge.cli import app
from dermforge.errors import InputError
from dermforge.schemas import Crop, GenerationRequest, Mask, SourceImage
from release.factory import Ready


def test_lineage_matches_the_workspace_records(built: tuple[Ready, Path],
                                               tmp_path: Path) -> None:
    ready, path = built
    moved = tmp_path / "elsewhere"
    shutil.copytree(path, moved)  # the folder alone: no workspace needed
    candidate = ready.populated.candidates[1]
    lineage = audit_image(moved, candidate.candidate_id)
    ws = ready.workspace
    source = next(s for s in ws.manifest(SourceImage) if s.source_id == candidate.source_id)
    request = next(r for r in ws.manifest(GenerationRequest)
                   if r.request_id == candidate.request_id)
    crop = next(c for c in ws.manifest(Crop) if c.source_id == candidate.source_id)
    mask = next(m for m in ws.manifest(Mask) if m.source_id == candidate.source_id)
    seed = next(s for s in ready.populated.seeds if s.source_id == candidate.source_id)
    assert lineage["image"] == {
        "image_id": candidate.candidate_id, "config": "synthetic", "sha256": candidate.sha256,
        "generated_sha256": candidate.sha256, "sha256_verified": True, "width": 32,
        "height": 32, "format": "png",
        "condition": seed.condition, "fst_group": seed.group}
    assert lineage["source"]["url"] == source.url and source.url
    assert lineage["source"]["license"] == "CC BY-NC-SA 3.0"
    assert lineage["source"]["sha256"] == source.sha256
    assert lineage["seed"]["sampling"] == seed.sampling.model_dump()
    assert lineage["crop"]["box"] == crop.box.model_dump() and lineage["crop"]["output_size"] == 32
    assert lineage["mask"]["sha256"] == mask.sha256 and lineage["mask"]["params"] == mask.params
    assert lineage["prompt"]["text"] == request.prompt
    assert lineage["request"]["request_id"] == request.request_id
    assert lineage["request"]["model"] == "classic-noise-v1"
    assert lineage["request"]["parameters"] == {"strength": 0.5}
    assert lineage["verdict"]["decision"] == "accept" and lineage["verdict"]["reviewer"] == "rev-a"
    assert lineage["verdict"]["automatic"] is False
    assert lineage["release"]["version"] == "1.0.0"
    assert lineage["release"]["release_added"] == "1.0.0"


def test_rejected_candidates_are_audited_too(built: tuple[Ready, Path]) -> None:
    ready, path = built
    rejected = ready.populated.candidates[2]
    lineage = audit_image(path, rejected.candidate_id)
    assert lineage["image"]["config"] == "candidates"
    assert lineage["verdict"]["decision"] == "reject"
    assert lineage["verdict"]["reason_codes"] == ["artifact"]


def test_cli_text_json_and_unknown_id(built: tuple[Ready, Path]) -> None:
    ready, path = built
    cid = ready.populated.candidates[0].candidate_id
    runner = CliRunner()
    text = runner.invoke(app, ["audit", str(path), cid])
    assert text.exit_code == 0, text.output
    for section in ("image:", "source:", "seed:", "crop:", "mask:", "prompt:", "request:",
                    "generation:", "verdict:", "release:"):
        assert f"\n{section}\n" in f"\n{text.output}"
    assert "  reviewer: rev-a" in text.output and "  license: CC BY-NC-SA 3.0" in text.output
    as_json = runner.invoke(app, ["audit", str(path), cid, "--json"])
    assert json.loads(as_json.output)["image"]["image_id"] == cid
    with pytest.raises(InputError, match="'nope-00' is in neither"):
        audit_image(path, "nope-00")
