"""Which open weights a ``diffusers`` request uses: identity and licence, before any load.

A local folder is identified by the sha256 of its weight files (one digest over
``relative path<TAB>sha256`` lines, sorted), and its licence is read from the model card's
front matter (``README.md``: ``license:``, ``license_name:``). A Hub id is identified by the
commit its revision resolves to (``huggingface_hub``'s model info; the weights are fetched
later, by whoever loads them), and its licence is the Hub card's. An explicit licence
always wins and is recorded as such; weights whose licence nobody states are refused, since
the dataset card must say under which terms the images were made.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import JsonValue

from ..errors import InputError

__all__ = ["WeightsIdentity", "file_tree_sha256", "identify_weights"]

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".gguf")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class WeightsIdentity:
    """What provenance says about the weights (JSON-ready via :meth:`as_json`)."""

    model: str  # the Hub id, or the folder's name
    source: Literal["folder", "hub"]
    location: str  # what the loader opens: the folder's absolute path, or the Hub id
    revision: str | None  # the Hub commit (None for a folder)
    weights_sha256: str | None  # the folder's weight files (None for a Hub id)
    license: str
    license_source: Literal["parameter", "model card"]

    def as_json(self) -> dict[str, JsonValue]:
        return {"model": self.model, "source": self.source, "revision": self.revision,
                "weights_sha256": self.weights_sha256, "license": self.license,
                "license_source": self.license_source}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_tree_sha256(root: Path, suffixes: tuple[str, ...] = _WEIGHT_SUFFIXES) -> str | None:
    """One sha256 over the files of ``root`` (a file or a folder) ending in ``suffixes``;
    None when there are none."""
    if root.is_file():
        return _sha256_file(root)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(suffixes))
    if not files:
        return None
    lines = "".join(f"{p.relative_to(root).as_posix()}\t{_sha256_file(p)}\n" for p in files)
    return hashlib.sha256(lines.encode()).hexdigest()


def _card_license(folder: Path) -> str | None:
    card = folder / "README.md"
    if not card.is_file():
        return None
    match = _FRONT_MATTER.match(card.read_text(encoding="utf-8", errors="replace"))
    if match is None:
        return None
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    if not isinstance(meta, dict):
        return None
    name, other = meta.get("license"), meta.get("license_name")
    if name == "other" and isinstance(other, str):
        return f"other: {other}"
    return str(name) if isinstance(name, str) and name.strip() else None


def _hub_info(model: str, revision: str | None) -> tuple[str, str | None]:
    """(commit sha, card licence) of a Hub model, from its model info (metadata only)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        info = HfApi().model_info(model, revision=revision)
    except (HfHubHTTPError, OfflineModeIsEnabled, OSError) as exc:
        raise InputError(
            f"--model {model!r} is no local folder, and the Hub cannot tell which commit "
            f"{revision or 'main'} is: {type(exc).__name__}: {str(exc)[:200]}",
            fix="pass a local folder (e.g. `hf download ID --local-dir DIR`, then --model "
                "DIR), or check the Hub id and the network") from None
    card: dict[str, Any] = (info.card_data.to_dict()  # type: ignore[no-untyped-call]
                            if info.card_data is not None else {})
    licence = card.get("license")
    if licence == "other" and isinstance(card.get("license_name"), str):
        licence = f"other: {card['license_name']}"
    return str(info.sha), (str(licence) if isinstance(licence, str) else None)


def identify_weights(model: str, *, revision: str | None = None,
                     license: str | None = None) -> WeightsIdentity:
    """The identity of ``model`` (a folder or a Hub id) and its licence; InputError when
    the folder does not exist, holds no weights, or the licence is stated nowhere."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        digest = file_tree_sha256(folder)
        if digest is None:
            raise InputError(f"--model folder {folder} holds no weight files "
                             f"({', '.join(_WEIGHT_SUFFIXES)})",
                             fix="point --model at a diffusers pipeline folder "
                                 "(model_index.json, unet/, vae/, ...)")
        card, source, location = _card_license(folder), "folder", str(folder.resolve())
        name, commit = folder.resolve().name, None
    elif _HUB_ID.match(model) and not model.startswith((".", "/", "~")):
        commit, card = _hub_info(model, revision)
        digest, source, location, name = None, "hub", model, model
    else:
        raise InputError(f"--model {model!r} is neither a folder nor a Hub id (owner/name)",
                         fix="pass the folder of a diffusers inpainting pipeline, or a Hub "
                             "id such as stabilityai/stable-diffusion-2-inpainting")
    if license is None and card is None:
        raise InputError(f"the licence of the weights {model!r} is stated nowhere (no "
                         "'license:' in the model card)",
                         fix="set generate.weights_license in params.yaml (e.g. "
                             "creativeml-openrail-m), or add 'license:' to the card's front "
                             "matter; the dataset card records it")
    return WeightsIdentity(
        model=name, source=source, location=location,  # type: ignore[arg-type]
        revision=commit, weights_sha256=digest, license=license or card or "",
        license_source="parameter" if license is not None else "model card")
