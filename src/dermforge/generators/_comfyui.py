"""ComfyUI's ``prompt`` / ``workflow`` PNG text → :class:`~dermforge.schemas.ComfyUIGraph`.

Both chunks must hold a JSON object (NaN, Infinity and nesting deeper than Python's parser
allows are refused, naming the file and chunk). From the ``prompt`` (API) graph the first
``KSampler`` (by node id) gives sampler, scheduler, steps, cfg, seed and denoise; its
``positive`` / ``negative`` links lead to ``CLIPTextEncode`` texts and its ``model`` link,
through loaders such as ``LoraLoader``, to a ``CheckpointLoaderSimple``'s ``ckpt_name``.
Graphs without those standard nodes are stored whole, with those fields null.
"""

from __future__ import annotations

import json
from typing import Any

from ..schemas import ComfyUIGraph

__all__ = ["parse_comfyui"]

_SAMPLERS = ("KSampler", "KSamplerAdvanced")
_IMAGE_INPUTS = {"LoadImage", "LoadImageMask", "VAEEncode", "VAEEncodeForInpaint",
                 "InpaintModelConditioning"}
_MAX_HOPS = 16
_FIX = ("re-save the image without that chunk (ComfyUI: disable the metadata) and state the "
        "prompt and model in its sidecar or CSV row")


def parse_comfyui(prompt: str | None, workflow: str | None, where: str,
                  problems: list[str]) -> ComfyUIGraph | None:
    graph = _object(prompt, "prompt", where, problems)
    editor = _object(workflow, "workflow", where, problems)
    if problems:
        return None
    nodes = {k: v for k, v in (graph or {}).items() if isinstance(v, dict)}
    fields: dict[str, Any] = {"prompt": graph, "workflow": editor,
                              "image_input": any(_kind(n) in _IMAGE_INPUTS
                                                 for n in nodes.values())}
    sampler = next((nodes[k] for k in sorted(nodes, key=_node_order)
                    if _kind(nodes[k]) in _SAMPLERS), None)
    if sampler is not None:
        inputs = _inputs(sampler)
        fields |= {
            "sampler": _typed(inputs.get("sampler_name"), str),
            "scheduler": _typed(inputs.get("scheduler"), str),
            "steps": _typed(inputs.get("steps"), int),
            "cfg": _number(inputs.get("cfg")), "denoise": _number(inputs.get("denoise")),
            "seed": _typed(inputs.get("seed", inputs.get("noise_seed")), int),
            "positive": _text(nodes, inputs.get("positive")),
            "negative": _text(nodes, inputs.get("negative")),
            "model": _checkpoint(nodes, inputs.get("model")),
        }
    return ComfyUIGraph(**fields)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _object(text: str | None, chunk: str, where: str,
            problems: list[str]) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        problems.append(f"{where}: PNG text chunk {chunk!r} is not valid JSON ({reason}); "
                        f"{_FIX}")
        return None
    if not isinstance(value, dict):
        problems.append(f"{where}: PNG text chunk {chunk!r} holds a JSON "
                        f"{type(value).__name__}, not the object ComfyUI writes; {_FIX}")
        return None
    return value


def _node_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (1 << 62, key)


def _kind(node: dict[str, Any]) -> str:
    return str(node.get("class_type", ""))


def _inputs(node: dict[str, Any] | None) -> dict[str, Any]:
    inputs = (node or {}).get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def _linked(nodes: dict[str, dict[str, Any]], link: object) -> dict[str, Any] | None:
    """The node a ``[node id, output index]`` input points to."""
    if isinstance(link, list) and link and isinstance(link[0], str | int):
        return nodes.get(str(link[0]))
    return None


def _text(nodes: dict[str, dict[str, Any]], link: object) -> str | None:
    node = _linked(nodes, link)
    if node is None or _kind(node) != "CLIPTextEncode":
        return None
    text = _inputs(node).get("text")
    return text if isinstance(text, str) else None


def _checkpoint(nodes: dict[str, dict[str, Any]], link: object) -> str | None:
    for _ in range(_MAX_HOPS):  # a cycle in a hostile graph ends here
        node = _linked(nodes, link)
        if node is None:
            return None
        if _kind(node) == "CheckpointLoaderSimple":
            name = _inputs(node).get("ckpt_name")
            return name if isinstance(name, str) else None
        link = _inputs(node).get("model")
    return None


def _typed(value: object, kind: type[Any]) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        return None
    return value


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
