"""Hostile inputs (issue 10, items 4-6 and the import bullets of item 8): decompression bombs,
truncated and 16-bit images, EXIF orientation, thumbnails, a loose params.yaml, non-UTF-8
files, import paths that leave their folder, and a disk that refuses a write mid-import.

Every case runs the real CLI on a small real workspace (a few crafted images imported with
``sources import --csv``, whose rows carry the md5 of each crafted file) and asserts the named
error (file in the message), the exit code (1: a file refused or the work failed; 2: bad
params or usage) and that nothing already in the workspace was lost or half-written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dermforge.schemas import Crop, SourceImage
from dermforge.store import Workspace

from .conftest import Result, assert_kept, assert_no_leftovers, files_of, invoke
from .craft import bomb_png, exif_rotated_jpeg, png_from_rows, truncated

HEADER = ("md5hash,fitzpatrick_scale,fitzpatrick_centaur,label,nine_partition_label,"
          "three_partition_label,qc,url,url_alphanum\n")
LABEL = "psoriasis"
SOURCES = "records/sources.jsonl"


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (96, 96)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def noise_png(side: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return png(Image.fromarray(pixels))


@dataclass
class Source:
    """An image folder in the authors' layout, its CSV and a workspace to import into."""

    root: Path
    rows: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.root / "images"

    @property
    def csv(self) -> Path:
        return self.root / "catalogue.csv"

    @property
    def ws(self) -> Path:
        return self.root / "ws"

    def add(self, data: bytes, fst: int = 1) -> str:
        """Put ``data`` in the folder as ``<md5>.jpg`` with its CSV row; return the name."""
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{md5}.jpg").write_bytes(data)
        self.rows.append(f"{md5},{fst},{fst},{LABEL},inflammatory,non-neoplastic,,,x\n")
        self.csv.write_text(HEADER + "".join(self.rows), encoding="utf-8")
        return f"{md5}.jpg"

    def import_(self) -> Result:
        return invoke("sources", "import", self.folder, "--csv", self.csv, "-w", self.ws)

    def records(self) -> dict[str, SourceImage]:
        return {r.source_id: r for r in Workspace(self.ws).read(SourceImage)}

    def params(self, text: str) -> Path:
        path = self.root / "params.yaml"
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture(autouse=True)
def _no_repo_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./params.yaml: each case brings its own


@pytest.fixture(scope="session")
def bomb() -> bytes:
    """A real 30000 x 30000 PNG (900 megapixels) of ~110 KB."""
    return bomb_png(30000)


@pytest.fixture
def source(tmp_path: Path) -> Source:
    """Two good images (FST I) already imported: the work that must survive."""
    made = Source(tmp_path / "src")
    made.add(jpeg((200, 120, 100)))
    made.add(jpeg((90, 60, 40)))
    assert made.import_().exit_code == 0
    return made


def seeds_and_prepare(source: Source, group: str, n: int, prepare: str = "") -> Result:
    params = source.params(
        f"seeds: {{conditions: [{LABEL}], groups: [{group}], n_per_group: {n}, "
        f"pool: workspace}}\nprepare:\n  crop: {{method: center, output_size: 64}}\n{prepare}")
    sampled = invoke("seeds", "sample", "-w", source.ws, "--csv", source.csv,
                     "--params", params)
    assert sampled.exit_code == 0, sampled.output
    return invoke("prepare", "-w", source.ws, "--params", params)


def assert_blobs_match_records(ws: Path) -> None:
    """No blob without its record, no record without its blob (the sources layer)."""
    layer = ws / "blobs" / "sources"
    blobs = {p.parent.name + p.name for p in layer.glob("*/*") if not p.name.startswith(".")}
    recorded = {r.sha256 for r in Workspace(ws).read(SourceImage)}
    assert blobs == recorded


def assert_appended(before: dict[str, str], source: Source, old: bytes) -> None:
    """Everything kept; sources.jsonl only grew at its end."""
    assert_kept(before, source.ws, may_change=(SOURCES,))
    assert (source.ws / SOURCES).read_bytes().startswith(old)
    assert_blobs_match_records(source.ws)
    assert_no_leftovers(source.ws)


# --- item 4: one decoder, every input path -------------------------------------------------


def test_bomb_at_sources_import_is_refused_by_name(source: Source, bomb: bytes) -> None:
    before, old = files_of(source.ws), (source.ws / SOURCES).read_bytes()
    name = source.add(bomb)
    good = source.add(jpeg((10, 200, 30)))
    result = source.import_()
    assert result.exit_code == 1
    assert (f"refused: {name}: the header declares 900,000,000 pixels, more than Pillow's "
            "decompression-bomb limit and dermforge's 67,108,864; refused before decoding"
            ) in result.stderr
    assert "DecompressionBomb" not in result.output
    assert ("4 verified, 0 corrupted, 1 refused, 1 imported, 2 already in the workspace"
            in result.stdout)
    assert set(source.records()) == {n[:32] for n in (good, *_names(old))}
    assert_appended(before, source, old)


def _names(sources_jsonl: bytes) -> list[str]:
    return [json.loads(line)["source_id"] for line in sources_jsonl.splitlines()]


def test_bomb_at_the_import_backend(source: Source, bomb: bytes, tmp_path: Path) -> None:
    made = tmp_path / "made"
    made.mkdir()
    (made / "huge.png").write_bytes(bomb)
    (made / "huge.json").write_text(json.dumps({
        "source_id": "0" * 32, "prompt": "p", "model": "dall-e-2", "date": "2022-08-15",
        "operator": "op"}))
    before = files_of(source.ws)
    result = invoke("generate", "-w", source.ws, "--backend", "import", "--from", made)
    assert result.exit_code == 1
    assert ("huge.png (sidecar huge.json): image 'huge.png' refused: the header declares "
            "900,000,000 pixels") in result.output
    assert "nothing was imported" in result.output
    assert files_of(source.ws) == before
    assert_no_leftovers(source.ws)


def test_bomb_as_a_mask_file_stops_prepare_before_any_blob(source: Source,
                                                            bomb: bytes) -> None:
    (source.root / "bomb.png").write_bytes(bomb)
    before = files_of(source.ws)
    result = seeds_and_prepare(source, "I-II", 2,
                               "  mask: {method: file, path: bomb.png}\n")
    assert result.exit_code == 1
    assert "(prepare.mask): field 'mask.path': mask file" in result.output
    assert "bomb.png': the header declares 900,000,000 pixels" in result.output
    assert_kept(before, source.ws)
    assert not (source.ws / "blobs" / "prepare").exists()  # no crop or mask blob
    assert not (source.ws / "records" / "crops.jsonl").exists()
    assert_no_leftovers(source.ws)


def test_truncated_jpeg_is_refused_at_import_and_never_reaches_prepare(
        source: Source) -> None:
    before, old = files_of(source.ws), (source.ws / SOURCES).read_bytes()
    cut = source.add(truncated(jpeg((30, 30, 200), (400, 300))))
    result = source.import_()
    assert result.exit_code == 1
    assert f"refused: {cut}: the image data cannot be decoded in full" in result.stderr
    assert "image file is truncated" in result.stderr
    assert cut[:32] not in source.records()
    assert_appended(before, source, old)
    prepared = seeds_and_prepare(source, "I-II", 2)  # the two intact images only
    assert prepared.exit_code == 0, prepared.output
    assert cut[:32] not in {c.source_id for c in Workspace(source.ws).read(Crop)}


def test_16bit_png_crop_is_scaled_not_white(source: Source) -> None:
    wide = np.zeros((96, 96), dtype=np.uint16)
    wide[:, :48], wide[:, 48:] = 10000, 60000  # → 39 and 233 in 8 bits (×255/65535)
    name = source.add(png(Image.fromarray(wide)), fst=5)
    assert source.import_().exit_code == 0
    result = seeds_and_prepare(source, "V-VI", 1)
    assert result.exit_code == 0, result.output
    (crop,) = Workspace(source.ws).read(Crop)
    assert crop.source_id == name[:32] and crop.params["source_mode"] == "I;16"
    pixels = np.asarray(Image.open(io.BytesIO(Workspace(source.ws).blobs.read(crop.sha256))))
    assert pixels.shape == (64, 64, 3)
    assert (pixels[:, 5] == 39).all() and (pixels[:, -5] == 233).all()  # not 255: not white


def test_exif_orientation_is_applied_and_recorded(source: Source) -> None:
    upright = Image.new("RGB", (128, 96), (220, 30, 30))
    upright.paste((30, 30, 220), (64, 0, 128, 96))  # red left half, blue right half
    plain = source.add(png(upright), fst=5)
    turned = source.add(exif_rotated_jpeg(upright, 6), fst=5)
    assert source.import_().exit_code == 0
    records = source.records()
    assert (records[turned[:32]].orientation, records[plain[:32]].orientation) == (6, 1)
    assert (records[turned[:32]].width, records[turned[:32]].height) == (128, 96)  # upright
    result = seeds_and_prepare(source, "V-VI", 2)
    assert result.exit_code == 0, result.output
    ws = Workspace(source.ws)
    crops = {c.source_id: c for c in ws.read(Crop)}
    assert crops[turned[:32]].params["exif_orientation"] == 6
    assert "exif_orientation" not in crops[plain[:32]].params
    assert crops[turned[:32]].params["source_size"] == [128, 96]
    a, b = (np.asarray(Image.open(io.BytesIO(ws.blobs.read(crops[n[:32]].sha256))),
                       dtype=np.int16) for n in (plain, turned))
    assert np.abs(a - b).mean() < 6  # the same picture (JPEG noise only)
    assert np.abs(a - np.rot90(b)).mean() > 60  # and not the one stored on its side


def test_one_pixel_image_is_refused_not_upscaled(source: Source) -> None:
    before, old = files_of(source.ws), (source.ws / SOURCES).read_bytes()
    tiny = source.add(png(Image.new("RGB", (1, 1), (255, 0, 0))))
    result = source.import_()
    assert result.exit_code == 1
    assert (f"refused: {tiny}: the image is 1x1 pixels; dermforge needs at least 64 pixels "
            "on each side") in result.stderr
    assert tiny[:32] not in source.records()
    assert_appended(before, source, old)


def test_png_cut_after_its_pixels_is_refused_by_the_import_backend(
        source: Source, tmp_path: Path) -> None:
    rows = [bytes(96 * 3) for _ in range(96)]
    whole = png_from_rows(96, 96, 8, 2, rows)
    made = tmp_path / "made"
    made.mkdir()
    (made / "cut.png").write_bytes(whole[:-12])  # the IEND chunk lost: pixels still decode
    (made / "cut.json").write_text(json.dumps({
        "source_id": "0" * 32, "prompt": "p", "model": "m", "date": "2022-08-15",
        "operator": "op"}))
    before = files_of(source.ws)
    result = invoke("generate", "-w", source.ws, "--backend", "import", "--from", made)
    assert result.exit_code == 1
    assert "cut.png (sidecar cut.json): image 'cut.png' refused: the PNG is cut off" in (
        result.output)
    assert files_of(source.ws) == before


# --- item 5: params.yaml is strict; encodings name the file ---------------------------------


def test_misspelt_section_is_an_error_with_did_you_mean(source: Source) -> None:
    params = source.params("seed:\n  n_per_group: 1\n")
    before = files_of(source.ws)
    result = invoke("seeds", "sample", "-w", source.ws, "--params", params)
    assert result.exit_code == 2
    assert (f"error: params file {str(params)!r}: unknown section 'seed'; did you mean "
            "'seeds'?") in result.output
    assert files_of(source.ws) == before


def test_bool_for_an_int_is_refused(source: Source) -> None:
    params = source.params("seeds:\n  n_per_group: true\n")
    before = files_of(source.ws)
    result = invoke("seeds", "sample", "-w", source.ws, "--params", params)
    assert result.exit_code == 2
    assert (f"{params}: field 'seeds.n_per_group': Input should be a valid integer (got True)"
            ) in result.output
    assert files_of(source.ws) == before


def test_non_utf8_params_file(source: Source) -> None:
    params = source.root / "params.yaml"
    params.write_bytes("seeds:\n  conditions: [ps\u00f3riasis]\n".encode("latin-1"))
    before = files_of(source.ws)
    result = invoke("seeds", "sample", "-w", source.ws, "--params", params)
    assert result.exit_code == 2
    assert (f"params file {str(params)!r} is not UTF-8 text: byte 0xf3 at byte offset 24 "
            "(line 2, column 18)") in result.output
    assert files_of(source.ws) == before


def test_non_utf8_annotations_file(source: Source) -> None:
    assert seeds_and_prepare(source, "I-II", 2).exit_code == 0
    notes = source.root / "notes.yaml"
    notes.write_bytes(f"- source_id: {source.rows[0][:32]}\n  noun: ni\u00f1o\n"
                      .encode("latin-1"))
    before = files_of(source.ws)
    result = invoke("prepare", "-w", source.ws, "--params", source.root / "params.yaml",
                    "--annotations", notes)
    assert result.exit_code == 2
    assert (f"annotations file {str(notes)!r} is not UTF-8 text: byte 0xf1 at byte offset "
            "56 (line 2, column 11)") in result.output
    assert_kept(before, source.ws)
    assert files_of(source.ws) == before


def test_non_utf8_import_csv(source: Source) -> None:
    source.csv.write_bytes(source.csv.read_bytes() + "x,1,1,ps\u00f3\n".encode("latin-1"))
    before = files_of(source.ws)
    result = source.import_()
    assert result.exit_code == 2
    assert f"source CSV {str(source.csv)!r} is not UTF-8 text: byte 0xf3" in result.output
    assert files_of(source.ws) == before


def test_non_utf8_sidecar(source: Source, tmp_path: Path) -> None:
    made = tmp_path / "made"
    made.mkdir()
    (made / "a.png").write_bytes(jpeg((1, 2, 3)))
    (made / "a.json").write_bytes('{"operator": "Jos\u00e9"}'.encode("latin-1"))
    before = files_of(source.ws)
    result = invoke("generate", "-w", source.ws, "--backend", "import", "--from", made)
    assert result.exit_code == 2
    assert "a.png (sidecar a.json): sidecar" in result.output
    assert "is not UTF-8 text: byte 0xe9 at byte offset 17 (line 1, column 18)" in (
        result.output)
    assert files_of(source.ws) == before


# --- item 6: the import backend stays inside its folder --------------------------------------


@pytest.fixture
def made_csv(tmp_path: Path) -> Iterator[Path]:
    """A CSV-layout import folder, and a valid image outside it."""
    made = tmp_path / "made"
    made.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.png").write_bytes(noise_png(96, 1))
    yield made / "made.csv"


def _csv(path: Path, *files: str) -> None:
    path.write_text("file,source_id,prompt,model,date,operator\n" + "".join(
        f"{name},{'0' * 32},p,dall-e-2,2022-08-15,op\n" for name in files), encoding="utf-8")


def test_import_backend_refuses_a_path_leading_outside(source: Source, made_csv: Path) -> None:
    _csv(made_csv, "../outside/x.png")
    before = files_of(source.ws)
    result = invoke("generate", "-w", source.ws, "--backend", "import", "--from", made_csv)
    assert result.exit_code == 1
    assert ("made.csv row 2: file '../outside/x.png' leads outside the CSV's folder"
            ) in result.output
    assert files_of(source.ws) == before


def test_import_backend_refuses_an_absolute_path(source: Source, made_csv: Path) -> None:
    target = made_csv.parent.parent / "outside" / "x.png"
    _csv(made_csv, str(target))
    before = files_of(source.ws)
    result = invoke("generate", "-w", source.ws, "--backend", "import", "--from", made_csv)
    assert result.exit_code == 1
    assert f"made.csv row 2: file {str(target)!r} is an absolute path" in result.output
    assert files_of(source.ws) == before


def test_import_backend_refuses_symlinks(source: Source, made_csv: Path) -> None:
    made = made_csv.parent
    outside = made.parent / "outside" / "x.png"
    (made / "linked.png").symlink_to(outside)
    _csv(made_csv, "linked.png")
    before = files_of(source.ws)
    result = invoke("generate", "-w", source.ws, "--backend", "import", "--from", made_csv)
    assert result.exit_code == 1
    assert (f"made.csv row 2: file 'linked.png' is a symbolic link (to {str(outside)!r})"
            ) in result.output
    made_csv.unlink()  # the folder layout: a linked image and a linked sidecar
    (made / "real.png").write_bytes(noise_png(96, 2))
    (made / "real.json").symlink_to(made.parent / "outside" / "x.png")
    (made / "linked.json").write_text("{}")
    result = invoke("generate", "-w", source.ws, "--backend", "import", "--from", made)
    assert result.exit_code == 1
    assert "linked.png: is a symbolic link" in result.output
    assert "real.json: is a symbolic link" in result.output
    assert files_of(source.ws) == before


# --- item 8 (import): a disk that refuses a write ------------------------------------------


def run_with_file_size_limit(limit: int, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``dermforge ARGS`` in a child whose files may not grow beyond ``limit`` bytes: a
    write past it fails with a real EFBIG (SIGXFSZ ignored, as a shell would not)."""
    def restrict() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "dermforge", *map(str, args)],
                          capture_output=True, text=True, timeout=120, preexec_fn=restrict,
                          env=env)


def test_efbig_while_storing_a_blob(source: Source) -> None:
    before, old = files_of(source.ws), (source.ws / SOURCES).read_bytes()
    big = source.add(noise_png(160, 3))  # ~77 KB
    assert (source.folder / big).stat().st_size > 65536
    for color in range(3):
        source.add(jpeg((color * 80, 5, 5)))
    result = run_with_file_size_limit(65536, "sources", "import", source.folder,
                                      "--csv", source.csv, "-w", source.ws)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: importing {source.folder / big}: could not write " in result.stderr
    assert "the file is too big for the file system" in result.stderr
    assert big[:32] not in source.records()
    assert_appended(before, source, old)  # the images stored before it: blob and record


def test_efbig_while_appending_the_records(source: Source) -> None:
    before, old = files_of(source.ws), (source.ws / SOURCES).read_bytes()
    added = [source.add(png(Image.new("RGB", (64, 64), (c, c, 9)))) for c in (1, 2)]
    assert all((source.folder / n).stat().st_size < len(old) for n in added)
    result = run_with_file_size_limit(len(old) + 100, "sources", "import", source.folder,
                                      "--csv", source.csv, "-w", source.ws)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: could not record the 2 image(s) imported last" in result.stderr
    assert all(name in result.stderr for name in added)
    assert "their blobs were removed again" in result.stderr
    assert (source.ws / SOURCES).read_bytes() == old
    assert_kept(before, source.ws)
    assert_blobs_match_records(source.ws)
    assert_no_leftovers(source.ws)
