"""Contact sheets: every seed of a condition as its crop with the mask overlaid, prompt below.

The region a generator will regenerate (alpha 0) is tinted magenta with a solid outline, so
a person can check at a glance that the crop holds the lesion and the mask covers what was
meant.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..schemas import Crop, Mask, Prompt, Seed
from ._png import encode_png

__all__ = ["SheetItem", "contact_sheet", "sheet_filename"]

TILE = 256
COLUMNS = 4
_LINES = 6
CAPTION = 8 + 14 * _LINES
PAD = 12
HEADER = 40
_TINT = np.array([255, 0, 200], dtype=np.float64)
_OUTLINE = (255, 0, 200)


@dataclass(frozen=True)
class SheetItem:
    seed: Seed
    crop: Crop
    mask: Mask
    prompt: Prompt
    crop_png: bytes
    mask_png: bytes


def sheet_filename(condition: str) -> str:
    return "contact-sheet-" + re.sub(r"[^a-z0-9]+", "-", condition.lower()).strip("-") + ".png"


def _overlay(item: SheetItem) -> Image.Image:
    crop = Image.open(io.BytesIO(item.crop_png)).convert("RGB").resize((TILE, TILE),
                                                                        Image.Resampling.BILINEAR)
    alpha = Image.open(io.BytesIO(item.mask_png)).getchannel("A").resize(
        (TILE, TILE), Image.Resampling.NEAREST)
    editable = np.asarray(alpha) == 0
    pixels = np.asarray(crop, dtype=np.float64)
    pixels[editable] = 0.55 * pixels[editable] + 0.45 * _TINT
    tile = Image.fromarray(pixels.round().astype(np.uint8))
    edge = Image.fromarray((editable * 255).astype(np.uint8)).filter(ImageFilter.FIND_EDGES)
    tile.paste(Image.new("RGB", tile.size, _OUTLINE), mask=edge.point(lambda v: 255 if v else 0))
    return tile


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def contact_sheet(condition: str, items: Sequence[SheetItem]) -> bytes:
    """PNG bytes of the sheet (deterministic for the same items)."""
    font = ImageFont.load_default(size=12)
    title_font = ImageFont.load_default(size=18)
    rows = max(1, -(-len(items) // COLUMNS))
    width = PAD + COLUMNS * (TILE + PAD)
    height = HEADER + rows * (TILE + CAPTION + PAD) + PAD
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    pen = ImageDraw.Draw(sheet)
    pen.text((PAD, PAD), f"{condition}: {len(items)} seeds (magenta = regenerated region)",
             fill=(0, 0, 0), font=title_font)
    for index, item in enumerate(items):
        x = PAD + (index % COLUMNS) * (TILE + PAD)
        y = HEADER + (index // COLUMNS) * (TILE + CAPTION + PAD)
        sheet.paste(_overlay(item), (x, y))
        lines = [f"{item.seed.source_id[:16]}  FST {item.seed.fitzpatrick} ({item.seed.group})",
                 f"{item.crop.method} crop · {item.mask.method}, edit {item.mask.editable} "
                 f"{item.mask.editable_fraction:.0%}",
                 *_wrap(item.prompt.text, font, TILE)]
        for number, line in enumerate(lines[:_LINES]):
            pen.text((x, y + TILE + 4 + number * 14), line, font=font,
                     fill=(90, 90, 90) if number < 2 else (0, 0, 0))
    return encode_png(sheet)
