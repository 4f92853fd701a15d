"""`audit`: one image's whole lineage, read from the release folder alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..errors import InputError, ReleaseError
from ._features import from_arrow
from ._folder import ReleaseFolder

__all__ = ["audit_image", "render_audit"]


def _loads(value: Any) -> Any:
    """A JSON column's object (already decoded by ``from_arrow``; text in an odd row)."""
    if isinstance(value, str):
        return json.loads(value) if value else {}
    return value if value is not None else {}


def audit_image(root: Path, image_id: str, *,
                trust_anchor: Path | None = None) -> dict[str, Any]:
    """Source, seed, crop, mask, prompt, request, model, verdict and release of ``image_id``.

    Raises NotAReleaseError (exit 2) for a folder that is not a release, InputError (exit 2)
    for an id the release does not hold, ReleaseError (exit 1) for an unreadable release.
    ``["image"]["sha256_verified"]`` says whether the image's bytes match its recorded sha256.
    For a signed release (release.json ``signing``), ``["marks"]`` holds the image's XMP
    digital source type, its C2PA manifest's state and assertions, and
    ``["marks"]["disagreements"]``: every way they differ from what the row implies; with
    ``trust_anchor`` (PEM CA certificates) the manifest's certificate chain must also
    validate against it.
    """
    folder = ReleaseFolder(root)
    release = folder.release
    for config in ("synthetic", "candidates"):
        raw = folder.find(config, "image_id", image_id)
        if raw is not None:
            break
    else:
        raise InputError(f"image {image_id!r} is in neither the synthetic nor the candidates "
                         f"config of release {release.name} {release.version} ({folder.root})",
                         fix="copy an image_id from the dataset (the candidate id); to check "
                             "that no image was removed, run `dermforge verify` on the "
                             "release")
    row = from_arrow(raw, folder.features(config))
    data = (raw.get("image") or {}).get("bytes") or b""
    lineage: dict[str, Any] = {
        "image": {"image_id": image_id, "config": config, "sha256": row["image_sha256"],
                  "generated_sha256": row.get("generated_sha256"),
                  "sha256_verified": hashlib.sha256(data).hexdigest() == row["image_sha256"],
                  "width": row["image_width"], "height": row["image_height"],
                  "format": row["image_format"], "condition": row["condition"],
                  "fst_group": row["fst_group"]},
        **_seed_sections(folder, row),
        "prompt": {"text": row["prompt"], "slots": row["prompt_slots"],
                   "template_version": row["prompt_template_version"]},
        "request": {"request_id": row["request_id"], "backend": row["backend"],
                    "model": row["model"], "operation": row["operation"],
                    "size": row["request_size"], "quality": row["request_quality"],
                    "parameters": _loads(row["request_parameters"])},
        "generation": {"candidate_index": row["candidate_index"],
                       "generated_at": _iso(row["generated_at"]),
                       "metadata": _loads(row["generation_metadata"]),
                       "cost_usd": row["cost_usd"]},
        "generator": _loads(row.get("generator_metadata")),
        "verdict": {"decision": row["verdict"], "reviewer": row["reviewer"],
                    "reviewer_qualification": row.get("reviewer_qualification"),
                    "automatic": bool(row["reviewer"] and row["reviewer"].startswith("auto:")),
                    "decided_at": _iso(row["decided_at"]), "reason_codes": row["reason_codes"],
                    "photorealism": row["photorealism"], "consistency": row["consistency"],
                    "note": row["verdict_note"], "rule": row.get("curation_rule"),
                    "verdicts": [{**v, "decided_at": _iso(v.get("decided_at"))}
                                 for v in row.get("verdicts") or ()]},
        "release": {"name": release.name, "version": release.version,
                    "created": release.created.isoformat(),
                    "release_added": row["release_added"],
                    "parent_version": release.parent_version,
                    "dermforge_version": release.dermforge_version,
                    "git_revision": release.git_revision},
    }
    if release.signing is not None:
        from ..signing._audit import audit_marks  # the sign extra, only for a signed release

        lineage["marks"] = audit_marks(folder, config, row, data, trust_anchor=trust_anchor)
    return lineage


def _seed_sections(folder: ReleaseFolder, row: dict[str, Any]) -> dict[str, Any]:
    """The source, seed, crop and mask sections; for a text-to-image image (no seed
    photograph) one ``seed`` section saying so, with the condition and type it states."""
    if row["seed_id"] is None:
        return {"seed": {"seed_id": None, "text_to_image": "no seed photograph (operation "
                         f"{row['operation']}): no source, crop or mask; the condition and "
                         "skin type are those its import row stated",
                         "condition": row["condition"], "fitzpatrick": row["fitzpatrick"],
                         "fst_group": row["fst_group"]}}
    seed = _seed(folder, row)
    return {
        "source": {"dataset": row["source_dataset"], "source_id": row["seed_id"],
                   "sha256": row["source_sha256"], "url": row["source_url"],
                   "license": row["source_license"], "fitzpatrick": row["fitzpatrick"]},
        "seed": {"seed_id": row["seed_id"], "condition": row["condition"],
                 "fst_group": row["fst_group"], "rank": seed.get("rank"),
                 "sampling": seed.get("sampling")},
        "crop": {"sha256": row["crop_sha256"], "box": row["crop_box"],
                 "method": row["crop_method"], "output_size": seed.get("crop_output_size"),
                 "params": _loads(seed.get("crop_params"))},
        "mask": {"sha256": row["mask_sha256"], "method": row["mask_method"],
                 "editable": seed.get("mask_editable"),
                 "editable_fraction": seed.get("mask_editable_fraction"),
                 "params": _loads(seed.get("mask_params"))},
    }


_GRAPHS = ("comfyui.prompt", "comfyui.workflow")


def _flat(key: str, value: Any) -> list[str]:
    """One ``  a.b.c: value`` line per leaf of what the imported file recorded (ComfyUI's
    graphs summarised: ``--json`` prints them whole)."""
    if key in _GRAPHS and isinstance(value, dict):
        return [f"  {key}: {len(value)} entries (whole in --json)"]
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _flat(f"{key}.{k}", v)]
    if isinstance(value, list | tuple):
        value = ", ".join(v if isinstance(v, str) else json.dumps(v, sort_keys=True)
                          for v in value) or "-"
    elif value is None:
        value = "-"
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    return [f"  {key}: {text}"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _seed(folder: ReleaseFolder, row: dict[str, Any]) -> dict[str, Any]:
    features = folder.features("seeds")
    columns = [n for n in features if n not in ("crop", "mask")]
    for _, batch in folder.batches("seeds", columns):
        for seed in batch.to_pylist():
            if (seed["seed_id"], seed["crop_sha256"], seed["mask_sha256"]) == (
                    row["seed_id"], row["crop_sha256"], row["mask_sha256"]):
                return from_arrow(seed, features)
    raise ReleaseError(f"{folder.root}: no seeds row for seed {row['seed_id']} with crop "
                       f"{row['crop_sha256']} and mask {row['mask_sha256']}",
                       fix="the release is incomplete; run `dermforge verify` and rebuild it")


def _item(value: Any) -> str:
    """A verdict of the row's ``verdicts`` as one phrase; anything else as text."""
    if isinstance(value, dict) and "reviewer" in value:
        return (f"{value['reviewer']} ({value.get('reviewer_qualification') or 'not stated'}, "
                f"{value.get('role')}): {value.get('decision')} at {value.get('decided_at')}")
    return str(value)


def render_audit(lineage: dict[str, Any]) -> str:
    """Readable text: one section per stage, one ``key: value`` line per fact."""
    lines = []
    for section, facts in lineage.items():
        lines.append(f"{section}:")
        if section == "generator" and not facts:
            lines.append("  none recorded by the image's file")
        for key, value in facts.items():
            if section == "generator":
                lines.extend(_flat(key, value))
                continue
            if section == "marks" and key == "assertions":
                lines.extend(f"  assertion {label}: {json.dumps(data, sort_keys=True)}"
                             for label, data in value.items())
                continue
            if section == "marks" and key == "ingredients":
                lines.extend(f"  ingredient {i.get('relationship')}: {i.get('instance_id')} "
                             f"({i.get('title')})" for i in value)
                continue
            if isinstance(value, dict):
                value = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
            elif isinstance(value, list | tuple):
                value = ", ".join(_item(v) for v in value) or "-"
            lines.append(f"  {key}: {value}")
    return "\n".join(lines) + "\n"
