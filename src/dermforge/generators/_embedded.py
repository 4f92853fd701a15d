"""Read what a generator wrote into an image file (for the ``import`` backend).

- Stable Diffusion WebUI (AUTOMATIC1111, Forge): the PNG text chunk ``parameters``, or the
  EXIF ``UserComment`` of a JPEG / WebP (parsed by :mod:`._webui`);
- ComfyUI: the PNG text chunks ``prompt`` (API graph) and ``workflow`` (editor graph), JSON
  objects (parsed by :mod:`._comfyui`);
- C2PA: the active manifest (c2pa-python, the ``sign`` extra): claim generator, actions,
  digital source type, validation state.

Limits: a text chunk or UserComment over :data:`MAX_TEXT_BYTES` (ComfyUI JSON:
:data:`MAX_JSON_BYTES`), a chunk found twice, text that is not JSON where JSON is expected,
and a C2PA manifest that cannot be read are problems naming the file and the chunk (the
import refuses, listing them). Text chunks with other keywords are ignored.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..errors import InputError, MissingExtraError
from ..schemas import C2paSummary, GeneratorMetadata
from ._comfyui import parse_comfyui
from ._webui import parse_parameters

__all__ = ["MAX_JSON_BYTES", "MAX_TEXT_BYTES", "Embedded", "read_embedded"]

MAX_TEXT_BYTES = 256 * 1024
MAX_JSON_BYTES = 2 * 1024 * 1024
_WANTED = {"parameters": MAX_TEXT_BYTES, "prompt": MAX_JSON_BYTES, "workflow": MAX_JSON_BYTES}
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_STRIP_FIX = ("re-save the image without that chunk and state the prompt and model in its "
              "sidecar or CSV row")


@dataclass
class Embedded:
    """What the file states; ``problems`` make the import refuse (each names file + chunk)."""

    metadata: GeneratorMetadata | None = None
    prompt: str | None = None
    model: str | None = None
    digital_source_type: str | None = None
    problems: list[str] = field(default_factory=list)

    def adopt(self, where: str, seed: str | None, stated: str | None,
              ) -> tuple[str | None, dict[str, Any] | None]:
        """The digital source type to record (``stated`` by the row wins, else the file's
        when synthetic; a file saying it is not synthetic is a problem) and the metadata as
        JSON, with a warning when the file says text-to-image while the row names a seed
        (``seed`` None: the row imports it as text-to-image, as the file says)."""
        meta = self.metadata
        if meta is not None and seed is not None and (
                self.digital_source_type == "trainedAlgorithmicMedia"):
            meta = meta.model_copy(update={"warnings": (*meta.warnings, (
                "the file's metadata says text-to-image (no input image), while its row "
                f"names seed {seed}: it is recorded as an import for that seed, labelled "
                "trainedAlgorithmicMedia"))})
        as_json = None if meta is None else meta.model_dump(mode="json")
        if stated is not None or self.digital_source_type is None:
            return stated, as_json
        from ..signing._xmp import parse_source_type
        try:
            return parse_source_type(self.digital_source_type), as_json
        except InputError:
            self.problems.append(
                f"{where}: its C2PA manifest states the digital source type "
                f"{self.digital_source_type!r}, not a synthetic one; import only generated "
                "images, or state digital_source_type in the sidecar or CSV row if the "
                "manifest is wrong")
            return None, as_json


def read_embedded(data: bytes, fmt: str, where: str) -> Embedded:
    """Everything :mod:`this module <._embedded>` reads from one image's bytes."""
    found = Embedded()
    texts = _png_texts(data, where, found.problems) if fmt == "png" else {}
    comment = None if fmt == "png" else _user_comment(data, where, found.problems)
    parts: dict[str, Any] = {}
    read_from: list[str] = []
    text = texts.get("parameters", comment)
    if text is not None:
        parts["webui"] = parse_parameters(text)
        read_from.append("png:parameters" if "parameters" in texts else "exif:UserComment")
    if "prompt" in texts or "workflow" in texts:
        graph = parse_comfyui(texts.get("prompt"), texts.get("workflow"), where,
                              found.problems)
        if graph is not None:
            parts["comfyui"] = graph
            read_from += [f"png:{k}" for k in ("prompt", "workflow") if k in texts]
    summary = _c2pa_summary(data, fmt, where, found.problems)
    if summary is not None:
        parts["c2pa"] = summary
        read_from.append("c2pa")
    if parts and not found.problems:
        found.metadata = GeneratorMetadata(read_from=tuple(read_from), **parts)  # type: ignore[arg-type]
        _derive(found, found.metadata)
    return found


def _derive(found: Embedded, meta: GeneratorMetadata) -> None:
    """Prompt, model and digital source type: C2PA's type first, then WebUI, then ComfyUI."""
    if meta.webui is not None:
        found.prompt = meta.webui.prompt or None
        found.model = meta.webui.model or (
            f"model hash {meta.webui.model_hash}" if meta.webui.model_hash else None)
        found.digital_source_type = ("trainedAlgorithmicMedia"
                                     if meta.webui.denoising_strength is None
                                     else "compositeWithTrainedAlgorithmicMedia")
    elif meta.comfyui is not None:
        found.prompt, found.model = meta.comfyui.positive, meta.comfyui.model
        found.digital_source_type = ("compositeWithTrainedAlgorithmicMedia"
                                     if meta.comfyui.image_input else "trainedAlgorithmicMedia")
    c2pa = meta.c2pa
    if c2pa is not None and c2pa.validation_state in ("Valid", "Trusted"):
        found.digital_source_type = c2pa.digital_source_type or found.digital_source_type
        found.model = found.model or c2pa.claim_generator
    elif c2pa is not None:
        found.metadata = meta.model_copy(update={"warnings": (
            *meta.warnings, f"its C2PA manifest does not validate ({c2pa.validation_state}: "
            f"{', '.join(c2pa.failures) or 'no code'}): recorded, but its claims were not used "
            "(the image was changed after signing, or the manifest was forged)")})


def _png_texts(data: bytes, where: str, problems: list[str]) -> dict[str, str]:
    from ..signing._xmp import png_chunks  # Pillow-free chunk walk, shared with signing

    try:
        chunks = png_chunks(data, where)
    except InputError as exc:
        problems.append(exc.message)
        return {}
    texts: dict[str, str] = {}
    for kind, body, _ in chunks:
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        keyword, _, rest = body.partition(b"\0")
        name = keyword.decode("latin-1")
        if name not in _WANTED:
            continue
        chunk = f"{where}: PNG text chunk {name!r}"
        if name in texts:
            problems.append(f"{chunk} appears twice; {_STRIP_FIX}")
            continue
        try:
            texts[name] = _chunk_text(kind, rest, _WANTED[name])
        except ValueError as exc:
            problems.append(f"{chunk}: {exc}; {_STRIP_FIX}")
    return texts


def _chunk_text(kind: bytes, rest: bytes, limit: int) -> str:
    if kind == b"tEXt":
        raw = rest
    elif kind == b"zTXt":
        raw = _inflate(rest[1:], limit)
    else:  # iTXt: flag, method, language\0, translated keyword\0, text
        if len(rest) < 2:
            raise ValueError("a truncated iTXt chunk")
        compressed, tail = rest[0], rest[2:]
        parts = tail.split(b"\0", 2)
        if len(parts) != 3:
            raise ValueError("a malformed iTXt chunk")
        raw = _inflate(parts[2], limit) if compressed else parts[2]
    if len(raw) > limit:
        raise ValueError(f"{len(raw):,} bytes, more than the {limit:,} dermforge reads")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if kind == b"iTXt":
            raise ValueError("its text is not UTF-8") from None
        return raw.decode("latin-1")  # tEXt / zTXt are Latin-1 by the PNG standard


def _inflate(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise ValueError("its compressed text is corrupt") from None
    if len(out) > limit:
        raise ValueError(f"it inflates to more than the {limit:,} bytes dermforge reads")
    return out


def _user_comment(data: bytes, where: str, problems: list[str]) -> str | None:
    """The EXIF UserComment (WebUI's JPEG / WebP ``parameters``), decoded by its charset."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            raw = image.getexif().get_ifd(0x8769).get(0x9286)
    except Exception:  # a malformed EXIF block: Pillow raises many types
        return None
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not isinstance(raw, bytes) or len(raw) <= 8:
        return None
    if len(raw) > MAX_TEXT_BYTES:
        problems.append(f"{where}: EXIF UserComment: {len(raw):,} bytes, more than the "
                        f"{MAX_TEXT_BYTES:,} dermforge reads; {_STRIP_FIX}")
        return None
    charset, body = raw[:8], raw[8:]
    if charset.startswith(b"UNICODE"):
        encoding = "utf-16" if body[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-be"
        text = body.decode(encoding, errors="replace")
    else:
        text = body.decode("utf-8", errors="replace")
    text = text.rstrip("\0")
    return text if "Steps:" in text else None  # a camera's comment is not WebUI's parameters


def _c2pa_summary(data: bytes, fmt: str, where: str,
                  problems: list[str]) -> C2paSummary | None:
    from ..signing._c2pa import read_manifest_store

    try:
        store = read_manifest_store(data, _MIME[fmt], image=where)
    except MissingExtraError:
        if fmt == "png" and b"caBX" in data:
            problems.append(f"{where}: carries a C2PA manifest, which needs c2pa-python to be "
                            "read; install dermforge[sign]")
        return None
    except InputError as exc:
        problems.append(exc.message)
        return None
    if store is None:
        return None
    return _summary(store)


def _summary(store: dict[str, Any]) -> C2paSummary | None:
    """The active manifest's facts; any part of another shape than C2PA's is left out."""
    active = _get(store, "manifests", str(store.get("active_manifest")))
    if not isinstance(active, dict):
        return None
    actions = [a for assertion in _list(active.get("assertions"))
               if str(_get(assertion, "label") or "").startswith("c2pa.actions")
               for a in _list(_get(assertion, "data", "actions"))]
    source = next((a["digitalSourceType"] for a in actions
                   if isinstance(a.get("digitalSourceType"), str)), None)
    failures = _list(_get(store, "validation_results", "activeManifest", "failure"))
    signer = active.get("signature_info")
    return C2paSummary(
        claim_generator=_generator(active), title=_str(active.get("title")),
        validation_state=_str(store.get("validation_state")) or "Invalid",
        failures=tuple(str(f.get("code")) for f in failures),
        actions=tuple(actions), digital_source_type=source,
        signer={k: v for k, v in signer.items() if isinstance(v, str)}
        if isinstance(signer, dict) else {})


def _get(value: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _list(value: object) -> list[dict[str, Any]]:
    """The JSON objects of a list (anything else: none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _generator(active: dict[str, Any]) -> str | None:
    names = [" ".join(str(i[k]) for k in ("name", "version") if i.get(k))
             for i in _list(active.get("claim_generator_info"))]
    if any(names):
        return ", ".join(n for n in names if n)
    return _str(active.get("claim_generator"))


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
