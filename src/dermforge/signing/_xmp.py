"""The IPTC digital source type, as XMP inside a PNG, readable with Pillow alone.

:func:`embed_source_type` writes one uncompressed ``iTXt`` chunk with the keyword
``XML:com.adobe.xmp`` right after ``IHDR`` (any earlier XMP chunk is replaced), holding
``Iptc4xmpExt:DigitalSourceType`` with an IPTC NewsCodes URI. The bytes are deterministic:
the same PNG and type always give the same output. :func:`read_source_type` reads it back
(through Pillow's ``Image.open(...).info["xmp"]``, the way any user would), and
:func:`source_type_for` maps a record's provenance to the type.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Literal, get_args

from PIL import Image, UnidentifiedImageError

from ..errors import InputError

__all__ = ["IPTC_NEWSCODES", "SOURCE_TYPES", "SourceType", "embed_source_type",
           "png_chunks",
           "read_source_type", "source_type_for", "source_type_uri"]

SourceType = Literal["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                     "algorithmicMedia"]
SOURCE_TYPES: tuple[SourceType, ...] = get_args(SourceType)
IPTC_NEWSCODES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
XMP_KEYWORD = b"XML:com.adobe.xmp"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    '  <rdf:Description rdf:about=""\n'
    '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">\n'
    "   <Iptc4xmpExt:DigitalSourceType>{uri}</Iptc4xmpExt:DigitalSourceType>\n"
    "  </rdf:Description>\n"
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="r"?>')
_TYPE_IN_XMP = re.compile(
    r"<Iptc4xmpExt:DigitalSourceType>\s*([^<\s]+)\s*</Iptc4xmpExt:DigitalSourceType>"
    r'|Iptc4xmpExt:DigitalSourceType="([^"]+)"')
#: operations that edit a real photograph with a model (under a mask)
_EDITS = frozenset({"edit", "inpaint", "inpainting"})
#: operations that make an image from text alone
_TEXT_TO_IMAGE = frozenset({"generate", "text-to-image", "create"})


def source_type_uri(source_type: SourceType) -> str:
    """The IPTC NewsCodes URI of ``source_type``."""
    return IPTC_NEWSCODES + source_type


def embed_source_type(png: bytes, source_type: SourceType, *, image: str) -> bytes:
    """``png`` with one XMP ``iTXt`` chunk stating ``source_type`` (deterministic bytes)."""
    if source_type not in SOURCE_TYPES:
        raise InputError(f"image {image}: digital source type {source_type!r} is not one of "
                         f"{', '.join(SOURCE_TYPES)}", fix="use one of those IPTC terms")
    chunks = png_chunks(png, image)
    packet = _PACKET.format(uri=source_type_uri(source_type)).encode("utf-8")
    # keyword, NUL, compression flag 0 (uncompressed), method 0, empty language, empty
    # translated keyword, then the UTF-8 text
    data = XMP_KEYWORD + b"\x00\x00\x00" + b"\x00" + b"\x00" + packet
    out = [_PNG_SIGNATURE, chunks[0][2], _chunk(b"iTXt", data)]
    out += [raw for kind, body, raw in chunks[1:] if not _is_xmp(kind, body)]
    return b"".join(out)


def read_source_type(png: bytes, *, image: str) -> SourceType | None:
    """The digital source type the PNG's XMP states, or None when it states none."""
    try:
        with Image.open(io.BytesIO(png)) as opened:
            xmp = opened.info.get("xmp")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise InputError(f"image {image}: not a readable PNG ({exc})",
                         fix="pass the image's PNG bytes") from None
    if xmp is None:
        return None
    text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)
    found = _TYPE_IN_XMP.search(text)
    if found is None:
        return None
    return _parse_term(found.group(1) or found.group(2), image=image,
                       field="XMP Iptc4xmpExt:DigitalSourceType")


def source_type_for(*, backend: str, operation: str, image: str,
                    stated: str | None = None) -> SourceType:
    """The digital source type of a synthetic image from its provenance.

    ``stated`` (an import's sidecar or metadata: the IPTC term or its NewsCodes URI) wins;
    otherwise the classic backend's non-generative edits are ``algorithmicMedia``, masked
    model edits of a real photo (``edit``, ``inpaint``, and imports, which are made that
    way) ``compositeWithTrainedAlgorithmicMedia``, and text-to-image
    ``trainedAlgorithmicMedia``.
    """
    if stated is not None:
        return _parse_term(stated, image=image, field="digital_source_type")
    if backend == "classic":
        return "algorithmicMedia"
    if operation in _EDITS or operation == "import":
        return "compositeWithTrainedAlgorithmicMedia"
    if operation in _TEXT_TO_IMAGE:
        return "trainedAlgorithmicMedia"
    raise InputError(f"image {image}: field 'operation' is {operation!r} (backend "
                     f"{backend!r}); no digital source type is known for it",
                     fix="state the type in the image's metadata as digital_source_type "
                         f"(one of {', '.join(SOURCE_TYPES)}), or use an operation of "
                         f"{sorted(_EDITS | _TEXT_TO_IMAGE | {'import'})}")


def parse_source_type(value: str, *, image: str = "?",
                      field: str = "digital_source_type") -> SourceType:
    """The source type a term or its IPTC NewsCodes URI names; InputError otherwise."""
    return _parse_term(value, image=image, field=field)


def _parse_term(value: str, *, image: str, field: str) -> SourceType:
    term = value.strip()
    term = term.removeprefix(IPTC_NEWSCODES).removeprefix(IPTC_NEWSCODES.replace(
        "http://", "https://"))
    for known in SOURCE_TYPES:
        if term == known:
            return known
    raise InputError(f"image {image}: field {field!r} is {value!r}, not a synthetic digital "
                     "source type dermforge marks",
                     fix=f"use one of {', '.join(SOURCE_TYPES)} (or its URI under "
                         f"{IPTC_NEWSCODES})")


def _is_xmp(kind: bytes, body: bytes) -> bool:
    return kind == b"iTXt" and body.split(b"\x00", 1)[0] == XMP_KEYWORD


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_chunks(png: bytes, image: str) -> list[tuple[bytes, bytes, bytes]]:
    """(type, data, raw bytes) of every chunk; the first is IHDR."""
    bad = InputError(f"image {image}: not a well-formed PNG", fix="pass the image's PNG "
                     "bytes as written by the build (re-encode it as PNG)")
    if not png.startswith(_PNG_SIGNATURE):
        raise bad
    chunks, at = [], len(_PNG_SIGNATURE)
    while at < len(png):
        if at + 12 > len(png):
            raise bad
        (length,) = struct.unpack(">I", png[at:at + 4])
        end = at + 12 + length
        if end > len(png):
            raise bad
        kind = png[at + 4:at + 8]
        chunks.append((kind, png[at + 8:at + 8 + length], png[at:end]))
        at = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise bad
    return chunks
