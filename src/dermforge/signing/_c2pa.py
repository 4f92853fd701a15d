"""Content Credentials (C2PA) for one PNG, with c2pa-python: sign, and read + validate.

:class:`ImageSigner` holds an ES256 (P-256) key and its certificate chain, read from the
PEM files the caller names. The key's bytes are never logged, shown in a ``repr`` or put
in an error: errors quote only the paths. Signing is offline (no timestamp authority) and
embeds no thumbnail. The manifest has a ``c2pa.actions`` assertion (``c2pa.created`` with
the IPTC digital source type, or ``c2pa.opened`` + ``c2pa.edited`` when the input already
carries a provider's manifest, which is kept as the parent ingredient) and the
``org.dermforge.provenance`` assertion with the image's stable facts
(:class:`ImageProvenance`). :func:`read_credentials` is the one reader/validator.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import JsonValue

from .. import __version__
from ..errors import InputError, IntegrityError, MissingExtraError
from ..schemas import ReleaseRow
from ._demo import is_demo_certificate
from ._xmp import (
    SourceType,
    embed_source_type,
    png_chunks,
    source_type_for,
    source_type_uri,
)

__all__ = ["MANIFEST_FORMAT", "PROVENANCE_LABEL", "SEED_RELATIONSHIP", "Credentials",
           "ImageProvenance", "ImageSigner", "has_manifest", "ingredient_problems",
           "mark_image", "read_credentials", "read_manifest_store", "seed_instance_id"]

PROVENANCE_LABEL = "org.dermforge.provenance"
#: what the manifests this code writes hold; part of the signed-image cache key, so bytes
#: signed under an older layout (before the seed ingredient) are signed again, not reused
MANIFEST_FORMAT = "dermforge-c2pa-2"
#: the seed photograph's crop is a component the image was composed from
SEED_RELATIONSHIP = "componentOf"
_SIGNING_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}
_PROFILE_FIX = ("use an ES256 (P-256) end-entity certificate that C2PA accepts (not a CA; "
                "digitalSignature key usage; an extended key usage such as emailProtection; "
                "an authority key identifier), followed by its intermediates")
#: a 1x1 PNG, signed once when a signer is made
_ONE_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c636000000002000148afa4710000000049454e44ae426082")


@dataclass(frozen=True)
class ImageProvenance:
    """What stays true of one synthetic image across releases (its stable assertions)."""

    image_id: str
    source_type: SourceType
    backend: str
    model: str
    operation: str
    prompt: str
    seed_sha256: str
    release_added: str
    parameters: Mapping[str, JsonValue] = field(default_factory=dict)
    crop_box: tuple[int, int, int] | None = None
    mask_sha256: str | None = None
    verdict: str | None = None
    reviewer: str | None = None

    @classmethod
    def of_row(cls, row: ReleaseRow) -> ImageProvenance:
        """The stable facts of a release row; an import's ``generation_metadata``
        ``digital_source_type`` (from its sidecar) states the type, else the operation."""
        stated = row.generation_metadata.get("digital_source_type")
        source_type = source_type_for(
            backend=row.backend, operation=row.operation, image=row.image_id,
            stated=None if stated is None else str(stated))
        box = row.crop_box  # None for text-to-image: no seed crop, so no seed ingredient
        return cls(image_id=row.image_id, source_type=source_type, backend=row.backend,
                   model=row.model, operation=row.operation, prompt=row.prompt,
                   seed_sha256=row.crop_sha256 or "", release_added=row.release_added,
                   parameters=dict(row.request_parameters),
                   crop_box=(box.left, box.top, box.side) if box else None,
                   mask_sha256=row.mask_sha256,
                   verdict=row.verdict, reviewer=row.reviewer)

    def ingredients(self) -> list[dict[str, Any]]:
        """The manifest's ingredient for the seed crop (none without a seed): identified by
        its sha256 (``instance_id`` ``sha256:<hex>``), which the crop's bytes in the
        release's ``seeds`` config hash to; the real photograph itself stays unmarked."""
        if not self.seed_sha256:
            return []
        return [{"title": "seed crop (a real photograph, Fitzpatrick 17k)",
                 "format": "image/png", "relationship": SEED_RELATIONSHIP,
                 "instance_id": seed_instance_id(self.seed_sha256)}]

    def assertion(self) -> dict[str, Any]:
        """The ``org.dermforge.provenance`` assertion's data (a JSON object)."""
        box = None if self.crop_box is None else dict(
            zip(("left", "top", "side"), self.crop_box, strict=True))
        return {"image_id": self.image_id, "digital_source_type": self.source_type,
                "backend": self.backend, "model": self.model, "operation": self.operation,
                "parameters": dict(self.parameters), "prompt": self.prompt,
                "seed_sha256": self.seed_sha256, "crop_box": box,
                "mask_sha256": self.mask_sha256, "verdict": self.verdict,
                "reviewer": self.reviewer, "release_added": self.release_added}


@dataclass(frozen=True)
class Credentials:
    """What :func:`read_credentials` found: ``state`` is ``Trusted``, ``Valid``,
    ``Invalid`` or ``absent`` (no manifest); ``failures`` the validation codes."""

    state: str
    failures: tuple[str, ...] = ()
    assertions: Mapping[str, Any] = field(default_factory=dict)
    ingredients: tuple[Mapping[str, Any], ...] = ()
    signer: Mapping[str, Any] = field(default_factory=dict)

    @property
    def trusted(self) -> bool:
        return self.state == "Trusted" and not self.failures

    @property
    def provenance(self) -> Mapping[str, Any] | None:
        value = self.assertions.get(PROVENANCE_LABEL)
        return value if isinstance(value, Mapping) else None


class ImageSigner:
    """An ES256 signer from a PEM private key file and a PEM certificate chain file."""

    __slots__ = ("_c2pa_signer", "_chain", "_key", "chain_path", "demo", "fingerprint",
                 "key_path")

    def __init__(self, key_path: Path, chain_path: Path, *,
                 password: bytes | None = None) -> None:
        self.key_path, self.chain_path = key_path, chain_path
        certificates = _load_chain(chain_path)
        key = _load_key(key_path, password)
        if certificates[0].public_key() != key.public_key():
            raise InputError(f"the first certificate in {chain_path} is not the certificate "
                             f"of the private key in {key_path}",
                             fix="put the signing (end-entity) certificate first in the "
                                 "chain file, then its intermediates")
        self._key = key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        self._chain = b"".join(c.public_bytes(serialization.Encoding.PEM)
                               for c in certificates)
        self.fingerprint = certificates[0].fingerprint(hashes.SHA256()).hex()
        self._c2pa_signer: Any = None
        #: whether the signing certificate is a throw-away demo one (`dermforge demo-keys`)
        self.demo = is_demo_certificate(certificates[0])
        self._try_out()

    def __repr__(self) -> str:
        return (f"ImageSigner(key_path={str(self.key_path)!r}, "
                f"chain_path={str(self.chain_path)!r}, fingerprint={self.fingerprint!r})")

    def sign(self, png: bytes, provenance: ImageProvenance, *,
             parent: bytes | None = None) -> bytes:
        """``png`` with a C2PA manifest of ``provenance`` embedded (not reproducible).

        ``parent``: the image as a provider made it, with the provider's own manifest,
        kept as the parent ingredient.
        """
        image, c2pa = provenance.image_id, _c2pa()
        builder = c2pa.Builder.from_json(_manifest(provenance, parent is not None),
                                         _signing_context())
        try:
            if parent is not None:
                builder.add_ingredient({"title": f"{image} (as the provider made it)",
                                        "relationship": "parentOf"}, "image/png",
                                       io.BytesIO(parent))
                builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
            out = io.BytesIO()
            builder.sign(self._signer(), "image/png", io.BytesIO(png), out)
        except c2pa.C2paError as exc:
            raise InputError(f"image {image}: C2PA signing failed ({_first_line(exc)})",
                             fix=f"check that the image is a valid, unaltered PNG and that "
                                 f"{self.chain_path} holds a C2PA signing certificate "
                                 "(digitalSignature key usage, not a CA)") from None
        finally:
            builder.close()
        return out.getvalue()

    def _try_out(self) -> None:
        """Sign a 1-pixel PNG: a certificate C2PA refuses fails here, naming the files."""
        c2pa = _c2pa()
        builder = c2pa.Builder.from_json(_manifest(_TRIAL, False), _signing_context())
        try:
            builder.sign(self._signer(), "image/png", io.BytesIO(_ONE_PIXEL), io.BytesIO())
        except c2pa.C2paError as exc:
            raise InputError(f"C2PA refuses the certificate chain {self.chain_path} with the "
                             f"key {self.key_path} ({_first_line(exc)})",
                             fix=_PROFILE_FIX) from None
        finally:
            builder.close()

    def _signer(self) -> Any:
        """The c2pa signer, made once (making one costs about 1 ms)."""
        if self._c2pa_signer is None:
            self._c2pa_signer = self._new_signer()
        return self._c2pa_signer

    def _new_signer(self) -> Any:
        c2pa = _c2pa()
        info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, self._chain, self._key, None)
        try:
            return c2pa.Signer.from_info(info)
        except c2pa.C2paError:
            raise InputError(f"C2PA refuses the signing certificate in {self.chain_path} "
                             f"with the key in {self.key_path}", fix=_PROFILE_FIX) from None


_TRIAL = ImageProvenance(image_id="signer-check", source_type="algorithmicMedia",
                         backend="dermforge", model="signer-check", operation="check",
                         prompt="-", seed_sha256="0" * 64, release_added="0.0.0")


def mark_image(png: bytes, provenance: ImageProvenance, signer: ImageSigner) -> bytes:
    """The released bytes of a synthetic image: XMP source type, then Content Credentials.

    A provider's manifest already in ``png`` is kept as the parent ingredient (read from the
    bytes as the provider made them); the asset signed is the labelled copy.
    """
    labelled = embed_source_type(png, provenance.source_type, image=provenance.image_id)
    parent = png if has_manifest(png, image=provenance.image_id) else None
    return signer.sign(labelled, provenance, parent=parent)


def has_manifest(png: bytes, *, image: str) -> bool:
    """Whether the PNG carries a C2PA manifest store (a ``caBX`` chunk)."""
    return any(kind == b"caBX" for kind, _, _ in png_chunks(png, image))


def read_credentials(png: bytes, trust_anchors: bytes | None, *, image: str) -> Credentials:
    """Read and validate the PNG's manifest against the PEM ``trust_anchors``; with None, the
    manifest's binding to the bytes and its signature are checked but not the certificate
    chain (a valid manifest reads ``Valid``, never ``Trusted``)."""
    c2pa = _c2pa()
    try:
        reader = c2pa.Reader.try_create("image/png", io.BytesIO(png), None,
                                        _reading_context(trust_anchors))
    except c2pa.C2paError as exc:
        raise IntegrityError(f"image {image}: its C2PA manifest cannot be read "
                             f"({_first_line(exc)})",
                             fix="the image's bytes were damaged or rewritten: take them "
                                 "again from the signed release") from None
    if reader is None:
        return Credentials(state="absent")
    with reader:
        store = json.loads(reader.json())
        active = store["manifests"][store["active_manifest"]]
        results = store.get("validation_results") or {}
    failures = [f["code"] for f in results.get("activeManifest", {}).get("failure", [])]
    return Credentials(
        state=str(store.get("validation_state", "Invalid")), failures=tuple(failures),
        assertions={a["label"]: a.get("data") for a in active.get("assertions", [])},
        ingredients=tuple(active.get("ingredients", [])),
        signer=active.get("signature_info", {}))


def seed_instance_id(seed_sha256: str) -> str:
    """The ``instance_id`` naming a seed crop ingredient."""
    return f"sha256:{seed_sha256}"


def ingredient_problems(found: Credentials, expected: ImageProvenance) -> list[str]:
    """How the manifest's seed ingredient (``componentOf``) differs from the row's seed:
    the one rule `verify` and `audit` apply."""
    seeds = [str(i.get("instance_id")) for i in found.ingredients
             if i.get("relationship") == SEED_RELATIONSHIP]
    want = [i["instance_id"] for i in expected.ingredients()]
    if seeds == want:
        return []
    if not want:
        return [f"the image's C2PA manifest names seed ingredient(s) {seeds}; its row has "
                "no seed image"]
    if not seeds:
        return ["the image's C2PA manifest has no seed ingredient; its row's seed crop is "
                f"{want[0]}"]
    return [f"the image's C2PA seed ingredient is {', '.join(seeds)}; its row's seed crop "
            f"is {want[0]}"]


def read_manifest_store(data: bytes, mime: str, *, image: str) -> dict[str, Any] | None:
    """The C2PA manifest store of any image c2pa-python reads (PNG, JPEG, WebP), as its JSON
    object, validated for binding and signature but not for trust; None without a manifest.
    A manifest that cannot be read is an :class:`InputError` naming ``image``."""
    c2pa = _c2pa()
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, _reading_context(None))
    except c2pa.C2paError as exc:
        raise InputError(f"{image}: its C2PA manifest cannot be read ({_first_line(exc)})",
                         fix="take the file again as its maker signed it, or remove its "
                             "manifest (e.g. re-save it) and state its provenance in the "
                             "sidecar or CSV") from None
    if reader is None:
        return None
    with reader:
        store = json.loads(reader.json())
    return store if isinstance(store, dict) else None


def _manifest(provenance: ImageProvenance, parent: bool) -> dict[str, Any]:
    agent = {"name": f"{provenance.backend}/{provenance.model}"}
    edited = {"action": "c2pa.edited", "digitalSourceType":
              source_type_uri(provenance.source_type), "softwareAgent": agent}
    created = {**edited, "action": "c2pa.created"}
    return {"claim_generator_info": [{"name": "dermforge", "version": __version__}],
            "title": f"{provenance.image_id}.png", "format": "image/png",
            "assertions": [
                {"label": "c2pa.actions",
                 "data": {"actions": [edited] if parent else [created]}},
                {"label": PROVENANCE_LABEL, "data": provenance.assertion()}],
            "ingredients": provenance.ingredients()}


def _c2pa() -> Any:
    """The c2pa module (the ``sign`` extra), imported when first needed."""
    try:
        import c2pa
    except ImportError:
        raise MissingExtraError("c2pa-python", "sign") from None
    return c2pa


@functools.cache
def _signing_context() -> Any:
    return _c2pa().Context.from_dict(_SIGNING_SETTINGS)


@functools.lru_cache(maxsize=8)
def _reading_context(trust_anchors: bytes | None) -> Any:
    if trust_anchors is None:
        return _c2pa().Context.from_dict({"verify": {"verify_trust": False}})
    return _c2pa().Context.from_dict({"trust": {"trust_anchors": trust_anchors.decode("ascii")},
                                   "verify": {"verify_trust": True}})


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what} file {path} ({exc.strerror})",
                         fix=f"name an existing, readable {what} file") from None


def _load_chain(path: Path) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(_read(path, "certificate chain"))
    except ValueError:
        certificates = []
    if not certificates:
        raise InputError(f"the certificate chain file {path} holds no PEM certificate",
                         fix="name the PEM file with the signing certificate first, then "
                             "its intermediates")
    return certificates


def _load_key(path: Path, password: bytes | None) -> ec.EllipticCurvePrivateKey:
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # the library's message is not quoted: never risk echoing key material
        raise InputError(f"the private key file {path} cannot be loaded: not a PEM private "
                         "key, or its password is wrong or missing",
                         fix="name the PEM private key of the signing certificate, with "
                             "its password if it is encrypted") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise InputError(f"the private key in {path} is not a P-256 (ES256) key",
                         fix="sign with an EC P-256 key and its certificate") from None
    return key
