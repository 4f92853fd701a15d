"""Per-seed annotations from YAML or CSV; every bad row names the file, line, seed and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from dermforge.errors import InputError, RecordError
from dermforge.prepare import EllipseMask, FullMask, PolygonMask, load_annotations
from dermforge.schemas import CropBox

SID = "0123456789abcdef0123456789abcdef"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_and_csv_give_the_same_annotations(tmp_path: Path) -> None:
    yaml_file = write(tmp_path, "a.yaml", f"""
- source_id: {SID}
  box: {{left: 10, top: 20, side: 300}}
  body_part: forearm
  noun: man
  mask: {{method: ellipse, editable: outside, rx: 0.3, ry: 0.25}}
- source_id: other
  mask: {{method: polygon, points: [[0.1, 0.1], [0.9, 0.2], [0.5, 0.9]]}}
- source_id: third
  mask: {{method: full}}
""")
    csv_file = write(tmp_path, "a.csv", (
        "source_id,left,top,side,width,height,body_part,noun,mask,editable\n"
        f'{SID},10,20,300,,,forearm,man,"{{method: ellipse, rx: 0.3, ry: 0.25}}",outside\n'
        'other,,,,,,,,"{method: polygon, points: [[0.1, 0.1], [0.9, 0.2], [0.5, 0.9]]}",\n'
        "third,,,,,,,,full,\n"))
    from_yaml, from_csv = load_annotations(yaml_file), load_annotations(csv_file)
    assert {k: v.spec for k, v in from_yaml.by_id.items()} == \
        {k: v.spec for k, v in from_csv.by_id.items()}
    first = from_yaml.by_id[SID]
    assert first.line == 2 and from_csv.by_id[SID].line == 2
    assert first.spec.box is not None
    assert first.spec.box.crop_box() == CropBox(left=10, top=20, side=300)
    assert first.spec.mask == EllipseMask(editable="outside", rx=0.3, ry=0.25)
    assert isinstance(from_yaml.by_id["other"].spec.mask, PolygonMask)
    assert from_yaml.by_id["third"].spec.mask == FullMask()
    assert from_yaml.by_id["third"].line == 9
    assert from_yaml.by_id["third"].where == f"{yaml_file} line 9 (seed third)"


def test_width_and_height_form_of_a_square(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"source_id,left,top,width,height\n{SID},10,20,300,300\n")
    box = load_annotations(path).by_id[SID].spec.box
    assert box is not None and box.crop_box() == CropBox(left=10, top=20, side=300)


def test_non_square_box_names_line_seed_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", f"- source_id: x\n- source_id: {SID}\n"
                 "  box: {left: 0, top: 0, width: 300, height: 200}\n")
    with pytest.raises(RecordError) as caught:
        load_annotations(path)
    error = caught.value
    assert (error.path, error.line, error.field) == (str(path), 2, "box")
    assert f"seed {SID}" in str(error) and "not square (width 300, height 200)" in str(error)


def test_csv_bad_value_names_line_seed_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"source_id,left,top,side\nok,1,2,3\n{SID},-4,0,100\n")
    with pytest.raises(RecordError) as caught:
        load_annotations(path)
    assert (caught.value.line, caught.value.field) == (3, "box.left")
    assert f"seed {SID}" in str(caught.value)


def test_unknown_mask_method_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", f"- source_id: {SID}\n  mask: {{method: circle}}\n")
    with pytest.raises(RecordError) as caught:
        load_annotations(path)
    assert caught.value.field == "mask" and "circle" in str(caught.value)


def test_unknown_key_is_a_typo_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", f"- source_id: {SID}\n  bodypart: arm\n")
    with pytest.raises(RecordError) as caught:
        load_annotations(path)
    assert caught.value.field == "bodypart"


def test_duplicate_seed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"source_id,noun\n{SID},man\n{SID},woman\n")
    with pytest.raises(RecordError, match=r"line 3: field 'source_id': seed '.*' is annotated "
                       r"twice \(first on line 2\)"):
        load_annotations(path)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_annotations(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match=r"unknown format '\.txt'"):
        load_annotations(write(tmp_path, "a.txt", ""))
    with pytest.raises(RecordError, match=r"unknown column\(s\) \['colour'\]"):
        load_annotations(write(tmp_path, "b.csv", "source_id,colour\nx,red\n"))
    with pytest.raises(RecordError, match="expected a list of seed annotations"):
        load_annotations(write(tmp_path, "c.yaml", "source_id: x\n"))
    with pytest.raises(RecordError, match="editable is given without a mask"):
        load_annotations(write(tmp_path, "d.csv", "source_id,editable\nx,outside\n"))
    with pytest.raises(InputError, match="not valid YAML"):
        load_annotations(write(tmp_path, "e.yaml", "- [unclosed\n"))
    assert load_annotations(write(tmp_path, "empty.yaml", "")).by_id == {}


def test_yaml_annotations_are_strictly_typed_csv_cells_are_converted(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", f"- source_id: {SID}\n  box: {{left: true, top: 0, "
                 "side: 100}\n")
    with pytest.raises(RecordError) as caught:
        load_annotations(path)
    assert caught.value.line == 1 and caught.value.field == "box.left"
    path = write(tmp_path, "q.yaml", f"- source_id: {SID}\n  box: {{left: '5', top: 0, "
                 "side: 100}\n")
    with pytest.raises(RecordError, match=r"box\.left"):
        load_annotations(path)
    cells = write(tmp_path, "c.csv", f"source_id,left,top,side\n{SID},5,0,100\n")
    box = load_annotations(cells).by_id[SID].spec.box
    assert box is not None and box.crop_box() == CropBox(left=5, top=0, side=100)


def test_non_utf8_annotations_name_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(f"source_id,noun\n{SID},ni\u00f1o\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"annotations file '.*latin.csv' is not UTF-8 text: "
                       r"byte 0xf1 at byte offset 50 \(line 2, column 36\)"):
        load_annotations(path)
