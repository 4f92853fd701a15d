"""The import backend: adopt images made elsewhere, with their provenance."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from dermforge.errors import InputError
from dermforge.generators import create_backend
from dermforge.runner import generate
from dermforge.schemas import Candidate, GenerationRequest, Seed
from dermforge.store import Workspace

from .conftest import prepare_seeds


@pytest.fixture
def two_seeds(demo_workspace: Workspace) -> tuple[Workspace, list[str]]:
    return demo_workspace, prepare_seeds(demo_workspace, 2, 128)


def _image(path: Path, color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), color).save(buffer, format=fmt)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _sidecar(path: Path, source_id: str, **extra: str) -> None:
    fields = {"source_id": source_id, "prompt": "An image of basal cell carcinoma on the arm",
              "model": "dall-e-2", "date": "2022-08-15", "operator": "reviewer-a", **extra}
    path.with_suffix(".json").write_text(json.dumps(fields))


def test_folder_with_sidecars(two_seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    ws, ids = two_seeds
    folder = tmp_path / "made-in-the-editor"
    folder.mkdir()
    made = {}
    for i, (sid, fmt, suffix) in enumerate([(ids[0], "PNG", ".png"), (ids[0], "JPEG", ".jpg"),
                                            (ids[1], "WEBP", ".webp")]):
        path = folder / f"img{i}{suffix}"
        made[path.name] = _image(path, (40 * i, 90, 120), fmt)
        _sidecar(path, sid)
    report = generate(ws, create_backend("import", source=folder))
    assert report.finished and report.stored_images == 3
    candidates = ws.read(Candidate)
    assert {c.model for c in candidates} == {"dall-e-2"}
    assert {c.format for c in candidates} == {"png", "jpeg", "webp"}
    for c in candidates:
        assert ws.blobs.read(c.sha256) == made[str(c.metadata["file_name"])]  # bytes kept
        assert c.metadata["operator"] == "reviewer-a" and c.cost_usd is None
        assert c.created == datetime(2022, 8, 15, tzinfo=UTC)
    requests = ws.read(GenerationRequest)
    assert {(r.operation, r.n, r.backend) for r in requests} == {("import", 1, "import")}
    again = generate(ws, create_backend("import", source=folder))
    assert again.already_done == 3 and again.stored_images == 0


def test_csv(two_seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    ws, ids = two_seeds
    _image(tmp_path / "a.png", (10, 20, 30))
    _image(tmp_path / "b.png", (30, 20, 10))
    (tmp_path / "made.csv").write_text(
        "file,source_id,prompt,model,date,operator\n"
        f"a.png,{ids[0]},An image of x,dall-e-2,2022-08-15T10:30:00Z,op1\n"
        f"b.png,{ids[1]},An image of y,gpt-image-2,2026-11-01,op2\n")
    report = generate(ws, create_backend("import", source=tmp_path / "made.csv"))
    assert report.stored_images == 2
    assert sorted(c.model for c in ws.read(Candidate)) == ["dall-e-2", "gpt-image-2"]


def _nothing_written(ws: Workspace) -> None:
    assert ws.read(Candidate) == [] and ws.read(GenerationRequest) == []


def test_unknown_seed_is_rejected_naming_the_file(two_seeds: tuple[Workspace, list[str]],
                                                  tmp_path: Path) -> None:
    ws, ids = two_seeds
    _image(tmp_path / "good.png", (1, 2, 3))
    _sidecar(tmp_path / "good.png", ids[0])
    _image(tmp_path / "stray.png", (3, 2, 1))
    _sidecar(tmp_path / "stray.png", "0123456789abcdef0123456789abcdef")
    with pytest.raises(InputError) as info:
        generate(ws, create_backend("import", source=tmp_path))
    assert "stray.png" in str(info.value) and "not a seed" in str(info.value)
    assert "good.png" not in str(info.value)
    _nothing_written(ws)


def test_unreadable_or_undocumented_files_are_rejected(
        two_seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    ws, ids = two_seeds
    (tmp_path / "broken.png").write_bytes(b"not an image at all")
    _sidecar(tmp_path / "broken.png", ids[0])
    _image(tmp_path / "nosidecar.png", (5, 5, 5))
    _image(tmp_path / "naive.png", (6, 6, 6))
    _sidecar(tmp_path / "naive.png", ids[0], date="2022-08-15T10:00:00")
    with pytest.raises(InputError) as info:
        create_backend("import", source=tmp_path)
    text = str(info.value)
    assert info.value.exit_code == 1  # a refused image makes it a refused-file error
    assert "broken.png' refused: not a JPEG, PNG or WEBP image" in text
    assert "nosidecar.png" in text and "no sidecar" in text
    assert "naive.png" in text and "time zone" in text
    _nothing_written(ws)


def test_csv_row_errors_name_the_row(tmp_path: Path) -> None:
    (tmp_path / "made.csv").write_text("file,source_id,prompt,model,date,operator\n"
                                       "missing.png,abc,p,dall-e-2,2022-08-15,op\n"
                                       ",abc,p,dall-e-2,2022-08-15,op\n")
    with pytest.raises(InputError) as info:
        create_backend("import", source=tmp_path / "made.csv")
    assert "made.csv row 2" in str(info.value) and "does not exist" in str(info.value)
    assert "made.csv row 3" in str(info.value)
    (tmp_path / "bad.csv").write_text("file,source_id\n")
    with pytest.raises(InputError, match="missing column"):
        create_backend("import", source=tmp_path / "bad.csv")


def test_import_needs_seeds(demo_workspace: Workspace, tmp_path: Path) -> None:
    _image(tmp_path / "a.png", (1, 1, 1))
    _sidecar(tmp_path / "a.png", "abc")
    assert demo_workspace.read(Seed) == []
    with pytest.raises(Exception, match="no seeds"):
        generate(demo_workspace, create_backend("import", source=tmp_path))


def test_csv_paths_stay_inside_its_folder(two_seeds: tuple[Workspace, list[str]],
                                          tmp_path: Path) -> None:
    ws, ids = two_seeds
    (tmp_path / "sub").mkdir()
    _image(tmp_path / "sub" / "a.png", (10, 20, 30))
    (tmp_path / "made.csv").write_text(
        "file,source_id,prompt,model,date,operator\n"
        f"sub/../sub/a.png,{ids[0]},An image of x,dall-e-2,2022-08-15,op1\n")
    assert generate(ws, create_backend("import", source=tmp_path / "made.csv")).stored_images == 1
    (tmp_path / "bad.csv").write_bytes(b"file,source_id,prompt,model,date,operator\n"
                                       b"a.png,x,caf\xe9,m,2022-08-15,op\n")
    with pytest.raises(InputError, match=r"import CSV '.*bad.csv' is not UTF-8 text: byte 0xe9 "
                       r"at byte offset 53 \(line 2, column 12\)") as info:
        create_backend("import", source=tmp_path / "bad.csv")
    assert info.value.exit_code == 2


def test_a_stated_digital_source_type_travels_to_the_signed_label(
        two_seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    """A sidecar's ``digital_source_type`` (term or IPTC URI) lands in the image metadata,
    which the signed release's XMP label and C2PA assertion use; a bad one names the field."""
    from dermforge.signing import source_type_for

    ws, ids = two_seeds
    folder = tmp_path / "t2i"
    folder.mkdir()
    _image(folder / "a.png", (10, 90, 120))
    uri = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    _sidecar(folder / "a.png", ids[0], digital_source_type=uri)
    _image(folder / "b.png", (90, 10, 120))
    _sidecar(folder / "b.png", ids[1])  # not stated: the default for imports
    generate(ws, create_backend("import", source=folder))
    stated = {str(c.metadata["file_name"]): c.metadata.get("digital_source_type")
              for c in ws.read(Candidate)}
    assert stated == {"a.png": "trainedAlgorithmicMedia", "b.png": None}
    assert source_type_for(backend="import", operation="import",
                           stated=stated["a.png"], image="a.png") == "trainedAlgorithmicMedia"
    assert source_type_for(backend="import", operation="import",
                           stated=None, image="b.png") == "compositeWithTrainedAlgorithmicMedia"
    _sidecar(folder / "a.png", ids[0], digital_source_type="digitalCapture")
    with pytest.raises(InputError) as info:
        create_backend("import", source=folder)
    assert "a.png" in str(info.value) and "'digital_source_type'" in str(info.value)
    assert "digitalCapture" in str(info.value) and "trainedAlgorithmicMedia" in str(info.value)
