"""Inpainting masks: RGBA, alpha 0 = regenerate, both polarities, and clear errors for bad files."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from dermforge.errors import ImageError, InputError
from dermforge.prepare import EllipseMask, FileMask, FullMask, PolygonMask, render_mask

SIZE = 200
CROP = Image.new("RGB", (SIZE, SIZE), (200, 150, 130))
WHERE = "seed 0123abcd (prepare.mask)"


def alpha(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGBA" and image.size == (SIZE, SIZE)
    return np.asarray(image.getchannel("A"))


def test_ellipse_inside_and_outside_are_complements(tmp_path: Path) -> None:
    inside = render_mask(EllipseMask(editable="inside", rx=0.3, ry=0.2), CROP, tmp_path, WHERE)
    outside = render_mask(EllipseMask(editable="outside", rx=0.3, ry=0.2), CROP, tmp_path, WHERE)
    a_in, a_out = alpha(inside.png), alpha(outside.png)
    assert set(np.unique(a_in)) == {0, 255}
    assert np.array_equal(a_in == 0, a_out == 255)
    assert inside.editable_fraction == pytest.approx(math.pi * 0.3 * 0.2, abs=0.01)
    assert inside.editable_fraction + outside.editable_fraction == pytest.approx(1.0)
    assert a_in[SIZE // 2, SIZE // 2] == 0 and a_in[0, 0] == 255  # centre editable, corner kept
    assert inside.params == {"cx": 0.5, "cy": 0.5, "rx": 0.3, "ry": 0.2}


def test_polygon_and_full(tmp_path: Path) -> None:
    triangle = PolygonMask(points=((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)))
    rendered = render_mask(triangle, CROP, tmp_path, WHERE)
    assert rendered.editable_fraction == pytest.approx(0.5, abs=0.02)
    assert alpha(rendered.png)[5, 5] == 0 and alpha(rendered.png)[-5, -5] == 255
    full = render_mask(FullMask(), CROP, tmp_path, WHERE)
    assert full.editable_fraction == 1.0 and not alpha(full.png).any()


def test_full_mask_cannot_be_outside() -> None:
    with pytest.raises(ValidationError):
        FullMask(editable="outside")  # type: ignore[arg-type]


def test_mask_that_leaves_nothing_editable_is_an_error(tmp_path: Path) -> None:
    everything = EllipseMask(editable="outside", rx=1.0, ry=1.0)
    expected = re.escape(WHERE) + r": field 'mask': the ellipse mask with editable: outside"
    with pytest.raises(InputError, match=expected + " leaves no pixel to regenerate"):
        render_mask(everything, CROP, tmp_path, WHERE)


def save_rgba(path: Path, size: int, transparent_box: tuple[int, int, int, int] | None) -> None:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    if transparent_box is not None:
        image.paste((0, 0, 0, 0), transparent_box)
    image.save(path)


def test_file_mask_as_drawn_and_inverted(tmp_path: Path) -> None:
    save_rgba(tmp_path / "m.png", SIZE, (0, 0, 100, 200))
    inside = render_mask(FileMask(path="m.png"), CROP, tmp_path, WHERE)
    outside = render_mask(FileMask(path="m.png", editable="outside"), CROP, tmp_path, WHERE)
    assert inside.editable_fraction == outside.editable_fraction == 0.5
    assert alpha(inside.png)[10, 10] == 0 and alpha(outside.png)[10, 10] == 255
    assert len(str(inside.params["file_sha256"])) == 64 and inside.params["path"] == "m.png"


def test_file_mask_of_the_wrong_size(tmp_path: Path) -> None:
    save_rgba(tmp_path / "small.png", 64, (0, 0, 10, 10))
    with pytest.raises(InputError) as caught:
        render_mask(FileMask(path="small.png"), CROP, tmp_path, WHERE)
    assert f"{WHERE}: field 'mask.path'" in str(caught.value)
    assert "small.png" in str(caught.value) and "is 64x64, but the crop is 200x200" in str(
        caught.value)


def test_file_mask_without_alpha(tmp_path: Path) -> None:
    Image.new("RGB", (SIZE, SIZE)).save(tmp_path / "rgb.png")
    with pytest.raises(InputError, match=r"field 'mask.path': mask file .*rgb.png' has mode RGB "
                       r"without transparency, not RGBA"):
        render_mask(FileMask(path="rgb.png"), CROP, tmp_path, WHERE)


def test_all_opaque_file_mask(tmp_path: Path) -> None:
    save_rgba(tmp_path / "opaque.png", SIZE, None)
    with pytest.raises(InputError, match=r"opaque.png' is fully opaque \(no pixel has alpha 0\)"):
        render_mask(FileMask(path="opaque.png"), CROP, tmp_path, WHERE)


def test_missing_and_unreadable_mask_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"field 'mask.path': mask file .*nope.png' does not "
                       r"exist"):
        render_mask(FileMask(path="nope.png"), CROP, tmp_path, WHERE)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(ImageError, match=r"junk.png': not a PNG or WEBP image") as caught:
        render_mask(FileMask(path="junk.png"), CROP, tmp_path, WHERE)
    assert caught.value.exit_code == 1  # a refused file, like a corrupted one


def test_shape_values_are_checked() -> None:
    with pytest.raises(ValidationError):
        EllipseMask(rx=0.0)
    with pytest.raises(ValidationError):
        PolygonMask(points=((0.1, 0.1), (0.5, 0.5)))
    with pytest.raises(ValidationError):
        PolygonMask(points=((0.1, 0.1), (0.5, 1.5), (0.2, 0.9)))
