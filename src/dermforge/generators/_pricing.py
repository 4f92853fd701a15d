"""Prices of OpenAI image models, with where and when each number was read.

Two tables: a per-image estimate by (model, size, quality), used to budget a request before
it is sent, and per-token rates, used to compute the actual cost from a response's ``usage``.
Prices change: every entry names its source and the date it was checked, and ``dermforge
generate`` refuses to spend money on a model/size/quality that is not here unless the user
gives an explicit ``--max-usd-per-image``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "IMAGE_PRICES",
    "PRICES_CHECKED",
    "TOKEN_RATES",
    "ImagePrice",
    "TokenRates",
    "cost_from_usage",
    "image_price",
]

PRICES_CHECKED = "2026-05-06"

_OPENAI_PRICING = "https://openai.com/api/pricing/ (image output examples per quality and size)"


@dataclass(frozen=True)
class ImagePrice:
    """Estimated USD per output image of ``model`` at ``size`` and ``quality``."""

    model: str
    size: str
    quality: str
    usd_per_image: float
    source: str
    checked: str


@dataclass(frozen=True)
class TokenRates:
    """USD per one million tokens, by kind, as billed for a response's ``usage``."""

    model: str
    text_input: float
    image_input: float
    image_output: float
    source: str
    checked: str


def _grid(model: str, prices: dict[tuple[str, str], float], checked: str) -> list[ImagePrice]:
    return [ImagePrice(model, size, quality, usd, _OPENAI_PRICING, checked)
            for (size, quality), usd in prices.items()]


_SQUARE, _PORTRAIT, _LANDSCAPE = "1024x1024", "1024x1536", "1536x1024"


def _three_sizes(square: tuple[float, float, float], wide: tuple[float, float, float],
                 ) -> dict[tuple[str, str], float]:
    table: dict[tuple[str, str], float] = {}
    for quality, sq, wd in zip(("low", "medium", "high"), square, wide, strict=True):
        table[(_SQUARE, quality)] = sq
        table[(_PORTRAIT, quality)] = wd
        table[(_LANDSCAPE, quality)] = wd
    return table


IMAGE_PRICES: tuple[ImagePrice, ...] = (
    *_grid("gpt-image-2", _three_sizes((0.006, 0.053, 0.211), (0.005, 0.041, 0.165)),
           PRICES_CHECKED),
    *_grid("gpt-image-1.5", _three_sizes((0.009, 0.034, 0.133), (0.013, 0.050, 0.200)),
           PRICES_CHECKED),
    *_grid("gpt-image-1-mini", _three_sizes((0.005, 0.011, 0.036), (0.006, 0.015, 0.052)),
           PRICES_CHECKED),
)

TOKEN_RATES: dict[str, TokenRates] = {
    "gpt-image-2": TokenRates("gpt-image-2", text_input=5.00, image_input=8.00,
                              image_output=30.00, source="https://openai.com/api/pricing/",
                              checked="2026-04-28"),
}

_BY_KEY = {(p.model, p.size, p.quality): p for p in IMAGE_PRICES}


def image_price(model: str, size: str, quality: str | None) -> ImagePrice | None:
    """The table's entry, or None when the combination has no known price.

    ``quality`` None or ``auto`` is priced as ``high`` (the most it can cost).
    """
    effective = "high" if quality in (None, "auto") else quality
    return _BY_KEY.get((model, size, str(effective)))


def _int(mapping: Any, key: str) -> int:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, int) else 0


def cost_from_usage(model: str, usage: dict[str, Any] | None) -> float | None:
    """USD cost of a response from its ``usage`` block; None when rates or usage are missing."""
    rates = TOKEN_RATES.get(model)
    if rates is None or not usage:
        return None
    details_in = usage.get("input_tokens_details")
    text_in, image_in = _int(details_in, "text_tokens"), _int(details_in, "image_tokens")
    if not isinstance(details_in, dict):  # no breakdown: price every input token as an image's
        image_in = _int(usage, "input_tokens")
    details_out = usage.get("output_tokens_details")
    if isinstance(details_out, dict):
        image_out, text_out = _int(details_out, "image_tokens"), _int(details_out, "text_tokens")
    else:
        image_out, text_out = _int(usage, "output_tokens"), 0
    per_token = 1e-6  # rates are per million tokens; text output is priced as image output
    return (text_in * rates.text_input + image_in * rates.image_input
            + (image_out + text_out) * rates.image_output) * per_token
