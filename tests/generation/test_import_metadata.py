"""The import backend reads what generators wrote into their files: Stable Diffusion WebUI's
``parameters``, ComfyUI's ``prompt`` / ``workflow`` graphs and C2PA manifests; the release
built from such imports verifies, loads with ``datasets`` and ``audit`` shows those fields."""

from __future__ import annotations

import io
import json
from pathlib import Path

import datasets
import pytest
from PIL import Image, PngImagePlugin

from clirun import invoke
from dermforge.builder import audit_image, build_release, verify_release
from dermforge.curation import apply_policy
from dermforge.errors import InputError
from dermforge.generators import create_backend
from dermforge.pipeline import run_splits
from dermforge.runner import generate
from dermforge.sampling import SplitParams
from dermforge.schemas import Candidate, GeneratorMetadata
from dermforge.store import Workspace
from signing.helpers import Pki, pki, with_one_pixel_changed

from .conftest import prepare_seeds

__all__ = ["pki"]  # the signing tests' test CA, as a fixture here too

WEBUI_PROMPT = ("RAW photo of psoriasis plaques, (dark skin:1.2), elbow, close-up,\n"
                "dermatology atlas, sharp focus")
WEBUI = (f"{WEBUI_PROMPT}\nNegative prompt: cartoon, (blurry:1.3), watermark\n"
         "Steps: 28, Sampler: DPM++ 2M Karras, Schedule type: Karras, CFG scale: 6.5, "
         "Seed: 3141592653, Size: 512x512, Model hash: 6ce0161689, "
         "Model: v1-5-pruned-emaonly, Denoising strength: 0.75, Mask blur: 4, "
         'Lora hashes: "dermlora: 0a1b2c3d4e5f, skintone: 99aa88bb77cc", '
         'Template: "a, b", Version: v1.10.1')
COMFY_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": 42, "steps": 20, "cfg": 8, "sampler_name": "euler", "scheduler": "normal",
        "denoise": 1, "model": ["10", 0], "positive": ["6", 0], "negative": ["7", 0],
        "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple",
          "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
    "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1],
                                                 "lora_name": "derm.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 96, "height": 96,
                                                       "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "eczema on the hand",
                                                     "clip": ["10", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, logo", "clip": ["10", 1]}},
}
COMFY_WORKFLOW = {"last_node_id": 10, "nodes": [{"id": 3, "type": "KSampler",
                                                 "widgets_values": [42, "fixed", 20]}]}


def png(path: Path, color: tuple[int, int, int], **texts: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), color).save(buffer, "PNG", pnginfo=info)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def csv(folder: Path, rows: list[tuple[str, str]]) -> Path:
    """A CSV without prompt and model columns: the files state them."""
    path = folder / "made.csv"
    path.write_text("file,source_id,date,operator\n" + "".join(
        f"{name},{sid},2026-11-01,op1\n" for name, sid in rows))
    return path


@pytest.fixture
def seeds(demo_workspace: Workspace) -> tuple[Workspace, list[str]]:
    return demo_workspace, prepare_seeds(demo_workspace, 3, 128)


def test_webui_parameters_land_in_provenance_and_the_release(
        seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    ws, ids = seeds
    folder = tmp_path / "webui"
    folder.mkdir()
    for i in range(len(ids)):
        png(folder / f"{i:05d}-3141592653.png", (30 * i, 90, 120), parameters=WEBUI)
    report = generate(ws, create_backend("import", source=csv(folder, [
        (f"{i:05d}-3141592653.png", sid) for i, sid in enumerate(ids)])))
    assert report.stored_images == 3
    candidate = ws.read(Candidate)[0]
    assert candidate.model == "v1-5-pruned-emaonly"
    assert candidate.metadata["digital_source_type"] == "compositeWithTrainedAlgorithmicMedia"
    meta = GeneratorMetadata.model_validate(candidate.metadata["generator_metadata"],
                                            strict=False)
    webui = meta.webui
    assert meta.read_from == ("png:parameters",) and webui is not None
    assert webui.text == WEBUI and webui.prompt == WEBUI_PROMPT
    assert webui.negative_prompt == "cartoon, (blurry:1.3), watermark"
    assert (webui.steps, webui.sampler, webui.cfg_scale, webui.seed, webui.size) == (
        28, "DPM++ 2M Karras", 6.5, 3141592653, "512x512")
    assert (webui.model, webui.model_hash) == ("v1-5-pruned-emaonly", "6ce0161689")
    assert webui.loras == "dermlora: 0a1b2c3d4e5f, skintone: 99aa88bb77cc"
    assert webui.settings["Template"] == "a, b" and webui.settings["Mask blur"] == "4"
    assert list(webui.settings) == ["Steps", "Sampler", "Schedule type", "CFG scale", "Seed",
                                    "Size", "Model hash", "Model", "Denoising strength",
                                    "Mask blur", "Lora hashes", "Template", "Version"]

    apply_policy(ws, "first-k", 1)
    run_splits(ws, SplitParams())
    out = tmp_path / "release"
    build_release(ws, version="1.0.0", out=out)
    verified = verify_release(out)
    assert verified.ok, verified.problems
    rows = datasets.load_dataset(str(out), split="train")
    assert len(rows) == 3
    row = rows[0]
    assert row["prompt"] == WEBUI_PROMPT and row["prompt_slots"] is None
    assert row["generator_metadata"]["webui"]["settings"]["Lora hashes"] == webui.loras
    assert "generator_metadata" not in row["generation_metadata"]
    lineage = audit_image(out, row["image_id"])
    assert lineage["generator"]["webui"]["settings"] == webui.settings
    text = invoke("audit", out, row["image_id"]).output
    for key, value in webui.settings.items():
        assert f"  webui.settings.{key}: {value}\n" in text
    assert "  webui.negative_prompt: cartoon, (blurry:1.3), watermark\n" in text
    card = (out / "README.md").read_text()
    assert "Stable Diffusion WebUI parameters in PNG text (3)" in card
    assert "none, the maker's own prompt for imports (3)" in card


def test_comfyui_graphs_are_stored_and_their_standard_nodes_read(
        seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    ws, ids = seeds
    png(tmp_path / "comfy.png", (1, 2, 3), prompt=json.dumps(COMFY_PROMPT),
        workflow=json.dumps(COMFY_WORKFLOW))
    generate(ws, create_backend("import", source=csv(tmp_path, [("comfy.png", ids[0])])))
    (candidate,) = ws.read(Candidate)
    assert candidate.model == "sd_xl_base_1.0.safetensors"
    meta = GeneratorMetadata.model_validate(candidate.metadata["generator_metadata"],
                                            strict=False)
    comfy = meta.comfyui
    assert comfy is not None and meta.read_from == ("png:prompt", "png:workflow")
    assert (comfy.sampler, comfy.scheduler, comfy.steps, comfy.cfg, comfy.seed,
            comfy.denoise) == ("euler", "normal", 20, 8.0, 42, 1.0)
    assert (comfy.positive, comfy.negative) == ("eczema on the hand", "text, logo")
    assert comfy.prompt == COMFY_PROMPT and comfy.workflow == COMFY_WORKFLOW
    assert candidate.metadata["digital_source_type"] == "trainedAlgorithmicMedia"
    assert "text-to-image" in meta.warnings[0] and ids[0] in meta.warnings[0]


def test_the_row_wins_over_the_file(seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    ws, ids = seeds
    png(tmp_path / "a.png", (5, 5, 5), parameters=WEBUI)
    (tmp_path / "a.json").write_text(json.dumps({
        "source_id": ids[0], "prompt": "the operator's prompt", "model": "sd-1.5-inpainting",
        "date": "2026-11-01", "operator": "op", "digital_source_type": "algorithmicMedia"}))
    generate(ws, create_backend("import", source=tmp_path))
    (candidate,) = ws.read(Candidate)
    assert candidate.model == "sd-1.5-inpainting"
    assert candidate.metadata["digital_source_type"] == "algorithmicMedia"
    assert candidate.metadata["generator_metadata"]["webui"]["prompt"] == WEBUI_PROMPT  # type: ignore[index,call-overload]


@pytest.mark.parametrize(("texts", "expected"), [
    ({"prompt": "{not json"}, "PNG text chunk 'prompt' is not valid JSON"),
    ({"workflow": "[1, 2]"}, "PNG text chunk 'workflow' holds a JSON list"),
    ({"prompt": '{"a": NaN}'}, "PNG text chunk 'prompt' is not valid JSON (NaN is not JSON"),
    ({"prompt": "[" * 100_000 + "]" * 100_000}, "PNG text chunk 'prompt' is not valid JSON"),
    ({"parameters": "x" * 300_000}, "PNG text chunk 'parameters': 300,000 bytes, more than"),
])
def test_hostile_chunks_are_refused_naming_file_and_chunk(
        seeds: tuple[Workspace, list[str]], tmp_path: Path, texts: dict[str, str],
        expected: str) -> None:
    ws, ids = seeds
    png(tmp_path / "bad.png", (7, 7, 7), **texts)
    with pytest.raises(InputError) as info:
        create_backend("import", source=csv(tmp_path, [("bad.png", ids[0])]))
    text = str(info.value)
    assert "bad.png" in text and expected in text and "re-save the image" in text
    assert ws.read(Candidate) == []


def test_a_compressed_text_bomb_is_refused(seeds: tuple[Workspace, list[str]],
                                           tmp_path: Path) -> None:
    _, ids = seeds
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a" * 900_000, zip=True)  # zTXt: a few KB on disk
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96)).save(buffer, "PNG", pnginfo=info)
    (tmp_path / "bomb.png").write_bytes(buffer.getvalue())
    with pytest.raises(InputError, match=r"bomb.png.*'parameters': it inflates to more than"):
        create_backend("import", source=csv(tmp_path, [("bomb.png", ids[0])]))


def test_without_prompt_anywhere_the_row_is_named(seeds: tuple[Workspace, list[str]],
                                                  tmp_path: Path) -> None:
    _, ids = seeds
    png(tmp_path / "plain.png", (9, 9, 9))
    with pytest.raises(InputError, match=r"plain.png.*field 'prompt': not given, and the "
                       "image's own metadata states none"):
        create_backend("import", source=csv(tmp_path, [("plain.png", ids[0])]))


def test_webui_jpeg_user_comment(seeds: tuple[Workspace, list[str]], tmp_path: Path) -> None:
    ws, ids = seeds
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + WEBUI.encode("utf-16-be")
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), (50, 60, 70)).save(buffer, "JPEG", exif=exif.tobytes())
    (tmp_path / "a.jpg").write_bytes(buffer.getvalue())
    generate(ws, create_backend("import", source=csv(tmp_path, [("a.jpg", ids[0])])))
    (candidate,) = ws.read(Candidate)
    meta = candidate.metadata["generator_metadata"]
    assert meta["read_from"] == ["exif:UserComment"]  # type: ignore[index,call-overload]
    assert meta["webui"]["seed"] == 3141592653  # type: ignore[index,call-overload]


TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def c2pa_signed(png_data: bytes, pki: Pki, source_type: str) -> bytes:
    """``png_data`` with a manifest as an image service would sign it (test CA's key)."""
    import c2pa

    manifest = {"claim_generator_info": [{"name": "ExampleAI Images", "version": "3.1"}],
                "title": "generated.png", "format": "image/png",
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": source_type,
                     "softwareAgent": {"name": "ExampleAI diffusion v3"}}]}}]}
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, pki.chain.read_bytes(),
                               pki.key.read_bytes(), None)
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    builder = c2pa.Builder.from_json(manifest, context)
    out = io.BytesIO()
    try:
        builder.sign(c2pa.Signer.from_info(info), "image/png", io.BytesIO(png_data), out)
    finally:
        builder.close()
    return out.getvalue()


def test_c2pa_manifest_is_read_and_states_the_source_type(
        seeds: tuple[Workspace, list[str]], tmp_path: Path, pki: Pki) -> None:
    ws, ids = seeds
    made = tmp_path / "made"
    made.mkdir()
    plain = png(tmp_path / "plain.png", (20, 40, 60), parameters=WEBUI)
    (made / "signed.png").write_bytes(c2pa_signed(plain, pki, TRAINED))
    (made / "altered.png").write_bytes(with_one_pixel_changed(
        c2pa_signed(png(tmp_path / "p2.png", (60, 40, 20)), pki, TRAINED)))
    source = made / "made.csv"
    source.write_text("file,source_id,date,operator,prompt,model\n"
                      f"signed.png,{ids[0]},2026-11-01,op1,,\n"
                      f"altered.png,{ids[1]},2026-11-01,op1,an image of acne,\n")
    with pytest.raises(InputError, match=r"altered.png.*field 'model': not given"):
        create_backend("import", source=source)
    source.write_text(source.read_text().replace("acne,", "acne,operator-model"))
    generate(ws, create_backend("import", source=source))
    by_file = {str(c.metadata["file_name"]): c for c in ws.read(Candidate)}
    signed = by_file["signed.png"]
    meta = GeneratorMetadata.model_validate(signed.metadata["generator_metadata"], strict=False)
    assert meta.read_from == ("png:parameters", "c2pa") and meta.c2pa is not None
    assert meta.c2pa.claim_generator == "ExampleAI Images 3.1"
    assert meta.c2pa.validation_state == "Valid" and meta.c2pa.digital_source_type == TRAINED
    assert meta.c2pa.actions[0]["action"] == "c2pa.created"
    # the manifest's type outranks WebUI's (img2img: composite)
    assert signed.metadata["digital_source_type"] == "trainedAlgorithmicMedia"
    assert signed.model == "v1-5-pruned-emaonly"  # WebUI's model; C2PA only when none
    altered = by_file["altered.png"]
    c2pa_meta = altered.metadata["generator_metadata"]["c2pa"]  # type: ignore[index,call-overload]
    assert c2pa_meta["validation_state"] == "Invalid" and c2pa_meta["failures"]
    assert "digital_source_type" not in altered.metadata  # an invalid manifest states nothing
    assert "does not validate" in altered.metadata["generator_metadata"]["warnings"][0]  # type: ignore[index,call-overload]

    apply_policy(ws, "first-k", 1)
    run_splits(ws, SplitParams())
    out = tmp_path / "release"
    build_release(ws, version="1.0.0", out=out)
    assert verify_release(out).ok
    rows = {r["generation_metadata"]["file_name"]: r
            for r in datasets.load_dataset(str(out), split="train")}
    assert rows["signed.png"]["generator_metadata"]["c2pa"]["claim_generator"] == (
        "ExampleAI Images 3.1")
    text = invoke("audit", out, rows["signed.png"]["image_id"]).output
    assert "  c2pa.claim_generator: ExampleAI Images 3.1\n" in text
    assert f"  c2pa.digital_source_type: {TRAINED}\n" in text

    # signing keeps the service's manifest as the parent and labels the type it stated
    from dermforge.signing import read_credentials, read_source_type, sign_release

    signed = sign_release(out, key=pki.key, cert=pki.chain, out=tmp_path / "signed",
                          cache=tmp_path / "cache")
    assert verify_release(signed.path).ok
    data = _image_bytes(signed.path, rows["signed.png"]["image_id"])
    assert read_source_type(data, image="signed.png") == "trainedAlgorithmicMedia"
    credentials = read_credentials(data, pki.anchor, image="signed.png")
    assert credentials.trusted and credentials.ingredients


def test_a_manifest_saying_camera_photo_is_refused(
        seeds: tuple[Workspace, list[str]], tmp_path: Path, pki: Pki) -> None:
    _, ids = seeds
    (tmp_path / "photo.png").write_bytes(c2pa_signed(
        png(tmp_path / "p.png", (1, 1, 1), parameters=WEBUI), pki, CAPTURE))
    with pytest.raises(InputError, match=r"photo.png.*C2PA manifest states the digital source "
                       r"type '\S+/digitalCapture', not a synthetic one"):
        create_backend("import", source=csv(tmp_path, [("photo.png", ids[0])]))


def _image_bytes(release: Path, image_id: str) -> bytes:
    import pyarrow.parquet as pq

    for shard in sorted((release / "data" / "synthetic").glob("*.parquet")):
        for row in pq.read_table(shard, columns=["image_id", "image"]).to_pylist():
            if row["image_id"] == image_id:
                return bytes(row["image"]["bytes"])
    raise AssertionError(image_id)
