"""Stable Diffusion WebUI's ``parameters`` text → :class:`~dermforge.schemas.WebUIParameters`.

The text is the prompt (one or more lines), then optionally ``Negative prompt: …`` (one or
more lines), then one settings line ``Steps: 20, Sampler: Euler a, CFG scale: 7, …``, read
as WebUI itself reads it (``parse_generation_parameters``): the last line is the settings
line when it holds at least three ``Key: value`` pairs; a value in double quotes may hold
commas and is unquoted as JSON. Every key is kept, known or not; a typed field whose value
does not parse (``Steps: many``) stays null while the text stays in ``settings``.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable
from typing import Any

from ..schemas import WebUIParameters

__all__ = ["parse_parameters"]

# WebUI's re_param_code, with the key's length bounded (keeps the scan linear on long lines)
_PARAM = re.compile(r'\s*(\w[\w \-/]{0,63}):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_NEGATIVE = "Negative prompt:"
def _finite(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


_TYPED: dict[str, tuple[str, Callable[[str], Any]]] = {
    "Steps": ("steps", int), "Sampler": ("sampler", str), "CFG scale": ("cfg_scale", _finite),
    "Seed": ("seed", int), "Size": ("size", str), "Model": ("model", str),
    "Model hash": ("model_hash", str), "Lora hashes": ("loras", str),
    "Denoising strength": ("denoising_strength", _finite),
}


def parse_parameters(text: str) -> WebUIParameters:
    """Parse the ``parameters`` text; never raises on odd text (it is kept verbatim)."""
    *lines, last = text.strip().replace("\r\n", "\n").split("\n")
    pairs = _PARAM.findall(last)
    if len(pairs) < 3:
        lines.append(last)
        pairs = []
    prompt: list[str] = []
    negative: list[str] = []
    for line in (raw.strip() for raw in lines):
        if line.startswith(_NEGATIVE) and not negative:
            negative.append(line[len(_NEGATIVE):].strip())
        elif negative:
            negative.append(line)
        else:
            prompt.append(line)
    settings = {key.strip(): _unquote(value.strip()) for key, value in pairs}
    typed: dict[str, Any] = {}
    for key, (name, convert) in _TYPED.items():
        if key in settings:
            with contextlib.suppress(ValueError, OverflowError):
                typed[name] = convert(settings[key])
    return WebUIParameters(text=text, prompt="\n".join(prompt).strip(),
                           negative_prompt="\n".join(negative).strip(), settings=settings,
                           **typed)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        with contextlib.suppress(ValueError):
            unquoted = json.loads(value)
            if isinstance(unquoted, str):
                return unquoted
    return value
