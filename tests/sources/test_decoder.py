"""The one image decoder (dermforge._images): what it refuses, by name, and what it returns."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image

from dermforge._images import MAX_PIXELS, MIN_SIDE, decode_image
from dermforge.errors import ImageError
from hostile.craft import bomb_png, exif_rotated_jpeg, png_from_rows, rgb48_png, truncated


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def refused(data: bytes, name: str = "x.png", **limits: int) -> ImageError:
    with pytest.raises(ImageError) as caught:
        decode_image(data, name, **limits)
    assert str(caught.value).startswith(f"{name}: ")
    assert caught.value.exit_code == 1 and caught.value.fix
    return caught.value


def test_limits_are_the_documented_ones() -> None:
    assert (MIN_SIDE, MAX_PIXELS) == (64, 8192 * 8192)


def test_a_plain_rgb_image_is_returned_as_is() -> None:
    decoded = decode_image(encoded(Image.new("RGB", (80, 64), (1, 2, 3))), "a.png")
    assert (decoded.format, decoded.stored_mode, decoded.image.mode) == ("PNG", "RGB", "RGB")
    assert (decoded.width, decoded.height, decoded.orientation) == (80, 64, 1)


def test_pillow_bomb_is_our_named_error_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a DecompressionBombWarning escapes
        error = refused(bomb_png(30000), "huge.png")
    assert error.kind == "bomb" and "900,000,000 pixels" in error.reason


def test_our_own_pixel_limit_is_checked_from_the_header() -> None:
    error = refused(bomb_png(9000), "big.png")  # 81 MP: under Pillow's error limit
    assert error.kind == "bomb" and "9000x9000 = 81,000,000 pixels" in error.reason
    assert refused(encoded(Image.new("L", (100, 100))), max_pixels=9999).kind == "bomb"


@pytest.mark.parametrize(("size", "ok"), [((64, 64), True), ((63, 500), False),
                                          ((500, 1), False)])
def test_minimum_side(size: tuple[int, int], ok: bool) -> None:
    data = encoded(Image.new("RGB", size))
    if ok:
        assert decode_image(data, "a.png").image.size == size
    else:
        error = refused(data)
        assert error.kind == "too_small" and f"{size[0]}x{size[1]} pixels" in error.reason


def test_truncated_jpeg_and_png_and_non_images() -> None:
    photo = encoded(Image.effect_noise((200, 150), 60).convert("RGB"), "JPEG")
    assert refused(truncated(photo), "cut.jpg").kind == "truncated"
    pixels = png_from_rows(96, 96, 8, 0, (bytes(96) for _ in range(96)))
    assert decode_image(pixels, "whole.png").width == 96
    assert refused(pixels[:-12], "no-iend.png").kind == "truncated"
    assert refused(b"<html>not found</html>", "page.jpg").kind == "not_image"


def test_formats_and_animations() -> None:
    error = refused(encoded(Image.new("RGB", (80, 80)), "GIF"), "a.gif")
    assert error.kind == "not_image" and "not a JPEG, PNG or WEBP image" in error.reason
    for fmt in ("PNG", "JPEG", "WEBP"):
        assert decode_image(encoded(Image.new("RGB", (80, 80)), fmt), "a").format == fmt
    frames = [Image.new("RGB", (80, 80), (c, 0, 0)) for c in (0, 255)]
    animated = encoded(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert refused(animated, "anim.png").kind == "animated"
    with pytest.raises(ImageError, match="not a PNG image"):
        decode_image(encoded(Image.new("RGB", (80, 80)), "JPEG"), "a.jpg", formats=("PNG",))


def test_a_multi_picture_jpeg_is_its_first_picture() -> None:
    photo, preview = Image.new("RGB", (80, 80), (200, 0, 0)), Image.new("RGB", (40, 40))
    data = encoded(photo, "MPO", save_all=True, append_images=[preview])
    decoded = decode_image(data, "phone.jpg")
    assert decoded.format == "JPEG" and decoded.image.size == (80, 80)
    with pytest.raises(ImageError, match="not a PNG image"):
        decode_image(data, "phone.jpg", formats=("PNG",))


def test_16bit_greyscale_is_scaled_not_clipped() -> None:
    wide = np.array([[0, 257, 40000, 65535]] * 64, dtype=np.uint16).repeat(16, axis=1)
    decoded = decode_image(encoded(Image.fromarray(wide)), "g16.png")
    assert decoded.stored_mode == "I;16" and decoded.scaled_to_8bit
    row = np.asarray(decoded.image)[0, ::16, 0]
    assert row.tolist() == [0, 1, 156, 255]


def test_48bit_rgb_keeps_its_high_byte() -> None:
    wide = np.zeros((64, 64, 3), dtype=np.uint16)
    wide[..., 0], wide[..., 1], wide[..., 2] = 0xFF00, 0x8000, 0x0100
    decoded = decode_image(rgb48_png(wide), "rgb48.png")
    assert decoded.image.mode == "RGB" and decoded.image.getpixel((0, 0)) == (255, 128, 1)


@pytest.mark.parametrize(("mode", "kwargs", "target"), [
    ("P", {"transparency": 0}, "RGBA"), ("P", {}, "RGB"), ("LA", {}, "RGBA"),
    ("L", {}, "RGB"), ("1", {}, "RGB"), ("RGBA", {}, "RGBA"),
])
def test_modes_become_8bit_rgb_or_rgba(mode: str, kwargs: dict[str, object],
                                       target: str) -> None:
    decoded = decode_image(encoded(Image.new(mode, (64, 64)), **kwargs), "m.png")
    assert decoded.image.mode == target and decoded.stored_mode == mode


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encoded(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG")
    decoded = decode_image(data, "cmyk.jpg")
    red, green, blue = decoded.image.getpixel((32, 32))
    assert decoded.stored_mode == "CMYK" and red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_and_returned(orientation: int) -> None:
    upright = Image.new("RGB", (128, 96), (220, 30, 30))
    upright.paste((30, 30, 220), (64, 0, 128, 96))
    decoded = decode_image(exif_rotated_jpeg(upright, orientation), "turned.jpg")
    assert decoded.orientation == orientation and decoded.image.size == (128, 96)
    left, right = decoded.image.getpixel((10, 48)), decoded.image.getpixel((118, 48))
    assert left[0] > 180 and right[2] > 180  # red on the left, blue on the right


def test_an_image_without_exif_is_orientation_1() -> None:
    assert decode_image(encoded(Image.new("RGB", (64, 64)), "JPEG"), "a.jpg").orientation == 1
