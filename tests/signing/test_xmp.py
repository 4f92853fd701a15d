"""The IPTC digital source type in XMP: deterministic, readable with Pillow alone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dermforge.errors import InputError
from dermforge.signing import (
    IPTC_NEWSCODES,
    embed_source_type,
    read_source_type,
    source_type_for,
)
from signing.helpers import png_bytes

URI = IPTC_NEWSCODES + "trainedAlgorithmicMedia"


def test_the_label_is_readable_with_pillow_alone_and_keeps_the_pixels() -> None:
    png = png_bytes()
    labelled = embed_source_type(png, "trainedAlgorithmicMedia", image="img-1")
    with Image.open(io.BytesIO(labelled)) as image, Image.open(io.BytesIO(png)) as original:
        xmp = image.info["xmp"]
        assert image.tobytes() == original.tobytes()
    assert b"<Iptc4xmpExt:DigitalSourceType>" + URI.encode() in xmp
    assert read_source_type(labelled, image="img-1") == "trainedAlgorithmicMedia"
    assert read_source_type(png, image="img-1") is None


def test_the_same_input_gives_the_same_bytes_and_relabelling_replaces() -> None:
    png = png_bytes()
    first = embed_source_type(png, "algorithmicMedia", image="x")
    assert first == embed_source_type(png, "algorithmicMedia", image="x")
    relabelled = embed_source_type(first, "compositeWithTrainedAlgorithmicMedia", image="x")
    assert relabelled == embed_source_type(png, "compositeWithTrainedAlgorithmicMedia",
                                           image="x")
    assert relabelled.count(b"XML:com.adobe.xmp") == 1


def test_the_chunk_is_uncompressed_itxt_right_after_ihdr() -> None:
    labelled = embed_source_type(png_bytes(), "algorithmicMedia", image="x")
    assert labelled[8 + 25 + 4:8 + 25 + 8] == b"iTXt"
    assert labelled[8 + 25 + 8:].startswith(b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<?xpacket")


@pytest.mark.parametrize(("backend", "operation", "stated", "expected"), [
    ("classic", "edit", None, "algorithmicMedia"),
    ("openai", "edit", None, "compositeWithTrainedAlgorithmicMedia"),
    ("sdxl", "inpaint", None, "compositeWithTrainedAlgorithmicMedia"),
    ("sdxl", "generate", None, "trainedAlgorithmicMedia"),
    ("import", "import", None, "compositeWithTrainedAlgorithmicMedia"),
    ("import", "import", "trainedAlgorithmicMedia", "trainedAlgorithmicMedia"),
    ("import", "import", URI, "trainedAlgorithmicMedia"),
])
def test_the_type_follows_the_provenance(backend: str, operation: str, stated: str | None,
                                         expected: str) -> None:
    assert source_type_for(backend=backend, operation=operation, stated=stated,
                           image="img-7") == expected


def test_a_bad_stated_type_or_unknown_operation_names_image_and_field() -> None:
    with pytest.raises(InputError, match=r"image img-7: field 'digital_source_type' is "
                                         r"'digitalCapture'") as err:
        source_type_for(backend="import", operation="import", stated="digitalCapture",
                        image="img-7")
    assert "fix:" in str(err.value)
    with pytest.raises(InputError, match=r"image img-8: field 'operation' is 'upscale'"):
        source_type_for(backend="x", operation="upscale", image="img-8")


def test_not_a_png_is_refused_by_name() -> None:
    with pytest.raises(InputError, match="image img-9: not a well-formed PNG"):
        embed_source_type(b"GIF89a...", "algorithmicMedia", image="img-9")
    with pytest.raises(InputError, match="image img-9: not a well-formed PNG"):
        embed_source_type(png_bytes()[:-20], "algorithmicMedia", image="img-9")


def test_a_release_rows_provenance_gives_the_stable_facts() -> None:
    from dermforge.schemas import CropBox, ReleaseRow
    from dermforge.signing import ImageProvenance

    fields = dict(image_id="r-00", backend="import", model="dall-e-2", operation="import",
                  prompt="p", crop_sha256="c" * 64, release_added="1.1.0",
                  request_parameters={"file_sha256": "f" * 64},
                  crop_box=CropBox(left=1, top=2, side=3), mask_sha256="m" * 64,
                  verdict="accept", reviewer="rev-a", generation_metadata={})
    facts = ImageProvenance.of_row(ReleaseRow.model_construct(**fields))
    assert facts.source_type == "compositeWithTrainedAlgorithmicMedia"
    assert facts.assertion()["crop_box"] == {"left": 1, "top": 2, "side": 3}
    assert facts.assertion()["seed_sha256"] == "c" * 64
    stated = ReleaseRow.model_construct(**{**fields, "generation_metadata": {
        "digital_source_type": "trainedAlgorithmicMedia"}})
    assert ImageProvenance.of_row(stated).source_type == "trainedAlgorithmicMedia"
    classic = ReleaseRow.model_construct(**{**fields, "backend": "classic", "operation": "edit"})
    assert ImageProvenance.of_row(classic).source_type == "algorithmicMedia"
