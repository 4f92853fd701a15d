"""Square crop placement: auto (CIELAB saliency), center, manual boxes checked against the image."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dermforge.errors import InputError
from dermforge.prepare import CropParams, auto_box, box_around, center_box, check_box, crop_square
from dermforge.schemas import CropBox

SKIN = (224, 180, 160)


def lesion_image(width: int, height: int, at: tuple[int, int], radius: int = 25) -> Image.Image:
    rng = np.random.default_rng(0)
    base = np.clip(np.array(SKIN) + rng.normal(0, 3, (height, width, 3)), 0, 255)
    image = Image.fromarray(base.astype(np.uint8))
    ImageDraw.Draw(image).ellipse([at[0] - radius, at[1] - radius, at[0] + radius,
                                   at[1] + radius], fill=(120, 30, 40))
    return image


def test_center_box_is_the_largest_centred_square() -> None:
    assert center_box(400, 300, 1.0) == CropBox(left=50, top=0, side=300)
    assert center_box(300, 400, 0.5) == CropBox(left=75, top=125, side=150)


def test_box_around_is_clamped_inside_the_image() -> None:
    assert box_around(390, 10, 400, 300, 0.5) == CropBox(left=250, top=0, side=150)
    assert box_around(0, 299, 400, 300, 1.0) == CropBox(left=0, top=0, side=300)


def test_auto_centres_on_a_lesion_off_centre() -> None:
    image = lesion_image(400, 300, at=(270, 190))
    placement = auto_box(image, CropParams(side_fraction=0.5))
    assert placement.method == "auto"
    centre_x = placement.box.left + placement.box.side / 2
    centre_y = placement.box.top + placement.box.side / 2
    assert abs(centre_x - 270) <= 12 and abs(centre_y - 190) <= 12
    assert placement.details["requested"] == "auto"


def test_auto_on_the_largest_square_slides_towards_the_lesion() -> None:
    placement = auto_box(lesion_image(600, 300, at=(80, 150)), CropParams())
    assert placement.box.side == 300 and placement.box.left == 0
    placement = auto_box(lesion_image(600, 300, at=(520, 150)), CropParams())
    assert placement.box.left == 300


def test_flat_saliency_falls_back_to_the_centre_and_says_so() -> None:
    flat = Image.new("RGB", (400, 300), SKIN)
    placement = auto_box(flat, CropParams())
    assert placement.method == "center" and placement.box == center_box(400, 300, 1.0)
    assert "flat saliency" in str(placement.details["fallback"])


def test_center_method_ignores_saliency() -> None:
    placement = auto_box(lesion_image(400, 300, at=(350, 150)), CropParams(method="center"))
    assert placement.method == "center" and placement.box == CropBox(left=50, top=0, side=300)


@pytest.mark.parametrize(("box", "field"), [
    (CropBox(left=150, top=0, side=300), "'box.left'/'box.side'"),
    (CropBox(left=0, top=10, side=300), "'box.top'/'box.side'"),
])
def test_box_outside_the_image_names_where_and_field(box: CropBox, field: str) -> None:
    with pytest.raises(InputError) as caught:
        check_box(box, 400, 300, "notes.yaml line 3 (seed abc)")
    assert str(caught.value).startswith(f"notes.yaml line 3 (seed abc): field {field}")


def test_crop_square_cuts_and_resizes() -> None:
    image = lesion_image(400, 300, at=(200, 150))
    square = crop_square(image, CropBox(left=50, top=0, side=300), 128)
    assert square.size == (128, 128) and square.mode == "RGB"
    assert crop_square(image, CropBox(left=50, top=0, side=300), 300).tobytes() == \
        image.crop((50, 0, 350, 300)).tobytes()
