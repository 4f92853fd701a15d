"""The readers of generators' metadata on their own: WebUI text, ComfyUI graphs, PNG chunks
and EXIF, with odd and hostile inputs (never a crash, never a silently wrong field)."""

from __future__ import annotations

import io
import json
import time

import pytest
from PIL import Image, PngImagePlugin

from dermforge.generators._comfyui import parse_comfyui
from dermforge.generators._embedded import MAX_TEXT_BYTES, read_embedded
from dermforge.generators._webui import parse_parameters


def test_webui_quoted_values_unknown_keys_and_crlf() -> None:
    text = ('a, b\r\nc\r\nNegative prompt: d\r\ne\r\nSteps: 5, Sampler: Euler a, '
            'Hires prompt: "x, \\"y\\", z", Seed: -1, CFG scale: nan, Some new key: 3')
    p = parse_parameters(text)
    assert (p.prompt, p.negative_prompt) == ("a, b\nc", "d\ne")
    assert p.settings == {"Steps": "5", "Sampler": "Euler a", "Hires prompt": 'x, "y", z',
                          "Seed": "-1", "CFG scale": "nan", "Some new key": "3"}
    assert (p.steps, p.seed, p.cfg_scale) == (5, -1, None)  # NaN is not a CFG scale
    assert p.text == text


@pytest.mark.parametrize("text", [
    "", "   ", "Negative prompt:", "Steps: 20",
    "Steps: many, Sampler: x, Seed: 99999999999999999999999",
    "\n\n\n", '"', 'Steps: "unterminated, Sampler: a, Seed: 1',
])
def test_webui_odd_text_never_crashes(text: str) -> None:
    p = parse_parameters(text)
    assert p.text == text


def test_webui_a_prompt_only_text_has_no_settings() -> None:
    p = parse_parameters("psoriasis, elbow\nNegative prompt: blur")
    assert (p.prompt, p.negative_prompt, p.settings, p.steps) == (
        "psoriasis, elbow", "blur", {}, None)


def test_webui_parsing_stays_fast_on_hostile_lines() -> None:
    started = time.perf_counter()
    for line in ("a" * MAX_TEXT_BYTES, "a: " * (MAX_TEXT_BYTES // 3),
                 'k: "' * (MAX_TEXT_BYTES // 4), "x" * 63 + ":" * MAX_TEXT_BYTES):
        parse_parameters(line)
    assert time.perf_counter() - started < 10


def test_comfyui_wrong_types_and_cycles_leave_fields_null() -> None:
    graph = {"1": {"class_type": "KSampler", "inputs": {
        "seed": "42", "steps": True, "cfg": "8", "sampler_name": 3, "positive": "6",
        "negative": [None], "model": ["2", 0]}},
        "2": {"class_type": "LoraLoader", "inputs": {"model": ["3", 0]}},
        "3": {"class_type": "LoraLoader", "inputs": {"model": ["2", 0]}},  # a cycle
        "4": "not a node", "5": {"class_type": ["odd"]}}
    problems: list[str] = []
    parsed = parse_comfyui(json.dumps(graph), None, "x.png", problems)
    assert problems == [] and parsed is not None
    assert (parsed.seed, parsed.steps, parsed.cfg, parsed.sampler, parsed.positive,
            parsed.negative, parsed.model) == (None,) * 7
    assert parsed.prompt == graph  # stored whole all the same


def test_comfyui_workflow_alone_is_stored() -> None:
    problems: list[str] = []
    parsed = parse_comfyui(None, '{"nodes": []}', "x.png", problems)
    assert parsed is not None and parsed.workflow == {"nodes": []} and parsed.prompt is None


def _png(*chunks: tuple[str, str, str]) -> bytes:
    """A PNG with text chunks (kind: tEXt, zTXt or iTXt)."""
    info = PngImagePlugin.PngInfo()
    for kind, key, value in chunks:
        if kind == "iTXt":
            info.add_itxt(key, value)
        else:
            info.add_text(key, value, zip=kind == "zTXt")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt"])
def test_every_png_text_chunk_kind_is_read(kind: str) -> None:
    text = "ekzema, Hände\nSteps: 3, Sampler: Euler, Seed: 7"
    found = read_embedded(_png((kind, "parameters", text)), "png", "x.png")
    assert found.problems == [] and found.metadata is not None
    assert found.metadata.webui is not None and found.metadata.webui.text == text


def test_a_chunk_found_twice_is_refused() -> None:
    found = read_embedded(_png(("tEXt", "parameters", "a\nSteps: 1, Seed: 1, Size: 1x1"),
                               ("iTXt", "parameters", "b\nSteps: 2, Seed: 2, Size: 2x2")),
                          "png", "x.png")
    assert found.metadata is None
    assert found.problems == ["x.png: PNG text chunk 'parameters' appears twice; re-save the "
                              "image without that chunk and state the prompt and model in its "
                              "sidecar or CSV row"]


def test_other_text_chunks_are_ignored() -> None:
    found = read_embedded(_png(("tEXt", "Comment", "x" * 2 * MAX_TEXT_BYTES)), "png", "x.png")
    assert (found.metadata, found.problems) == (None, [])


def test_webp_exif_user_comment() -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + "p\nSteps: 9, Seed: 1, Size: 64x64".encode(
        "utf-16-be")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "WEBP", exif=exif.tobytes())
    found = read_embedded(buffer.getvalue(), "webp", "x.webp")
    assert found.metadata is not None and found.metadata.read_from == ("exif:UserComment",)
    assert found.metadata.webui is not None and found.metadata.webui.steps == 9


def test_a_camera_comment_is_not_read_as_parameters() -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\0\0\0holiday snapshot"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "JPEG", exif=exif.tobytes())
    assert read_embedded(buffer.getvalue(), "jpeg", "x.jpg").metadata is None
