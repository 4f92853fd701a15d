"""Statements both the card and croissant.json make, written once.

Each function returns plain sentences (no Markdown of its own); text that comes from the data
(source hosts, model names) goes through ``escape`` (:func:`md_text` for the card,
:func:`plain_text` for Croissant).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ._facts import ReleaseFacts

__all__ = ["ATLASES", "ai_disclosure", "counted", "marking", "personal_information", "source_sites",
           "takedown_procedure"]

Escape = Callable[[str], str]

#: the two atlases Fitzpatrick 17k took its images from, by the host of ``source_url``
ATLASES = {"dermaamin.com": "DermaAmin", "atlasdermatologico.com.br": "Atlas Dermatologico"}

#: what each generation backend is, for the disclosure
_BACKENDS = {
    "openai": "AI-generated: masked edit by OpenAI's image API, model {model}",
    "import": "made outside dermforge with {model} and imported with the operator's record "
              "of the model (treat as AI-generated)",
    "diffusers": "AI-generated: masked inpainting with the open-weights model {model} "
                 "(diffusers)",
    "classic": "not made by an AI model: deterministic classical inpainting ({model}: "
               "biharmonic fill plus texture from the seed); still synthetic",
}


def source_sites(facts: ReleaseFacts, escape: Escape) -> str:
    """``DermaAmin (dermaamin.com): 5 seeds; …`` from each seed's ``source_url``."""
    parts = []
    for host, n in sorted(facts.source_hosts.items(), key=lambda kv: (-kv[1], kv[0])):
        name = ATLASES.get(host)
        shown = f"{name} ({escape(host)})" if name else escape(host)
        parts.append(f"{shown}: {n} seed{'s' if n != 1 else ''}")
    return "; ".join(parts) or "no seeds"


def personal_information(facts: ReleaseFacts, escape: Escape) -> list[str]:
    seeds = sum(facts.seeds.values())
    return [
        "The seed images are real clinical photographs of patients' skin disease (health "
        "data). Fitzpatrick 17k collected them from two public online dermatology atlases, "
        "DermaAmin (dermaamin.com) and Atlas Dermatologico (atlasdermatologico.com.br). This "
        f"release holds {seeds} seeds as square crops with their inpainting masks (the seeds "
        "config), each linked to its original photograph by source_url. Seeds by source "
        f"site: {source_sites(facts, escape)}.",
        "Consent: the atlases published the photographs for teaching; neither Fitzpatrick 17k "
        "nor this dataset documents the pictured patients' consent to use in machine "
        "learning, and none was obtained for this release.",
        "De-identification: no record holds a patient's name, date or other direct "
        "identifier, and crops are re-encoded as PNG, so no camera or file metadata of the "
        "originals is carried. A crop is cut around the lesion, which usually leaves out the "
        "face, but it can still show identifying features (a face, tattoo, jewellery or "
        "distinctive mark), and source_url leads to the whole photograph.",
        "A synthetic image regenerates only the masked region of its seed crop and keeps the "
        "seed's pixels elsewhere, so it can show the same person's skin: it is not an image "
        "of a new person, and it inherits the seed's privacy.",
        "Fitzpatrick skin type (a label of every row) is a proxy for skin colour and so "
        "relates to ethnic origin, a special category of personal data.",
    ]


def takedown_procedure(takedown: str, repo_id: str) -> list[str]:
    return [
        f"A person who recognises an image of themselves (a seed, or a synthetic image made "
        f"from one) can ask for its removal by writing to {takedown}, privately, with the "
        f"image_id or seed_id (or a description of the image); no reason is needed.",
        "The maintainers confirm receipt, and the next version of the dataset drops the seed "
        "and every image made from it. Its CHANGELOG records the removal by image id as "
        "'removed on request' and never names or describes the person.",
        f"Earlier versions stay reachable at their tags on {repo_id} until the maintainers "
        "also remove them from the repository's history; ask for that in the same request. "
        "The original photograph stays in its atlas and in Fitzpatrick 17k, whose maintainers "
        "remove it there (source_url names the page).",
    ]


def ai_disclosure(facts: ReleaseFacts, escape: Escape) -> list[str]:
    """One line per generator (backend / model, with counts of all candidates), then the
    marking."""
    lines = [_made_by(backend, model, n, escape) + _weights(facts, backend, model, escape)
             for (backend, model), n in sorted(facts.made_by.items())]
    return lines or ["No images were generated for this release."]


def marking() -> str:
    return (
        "Marking (EU AI Act Art. 50(2)): every synthetic image is marked as artificially "
        "generated in machine-readable form by its own row (backend, model, operation, "
        "request_id, generated_at, prompt) and by the dataset metadata (the tag 'synthetic'; "
        "Croissant rai:dataCollectionType 'Synthetic data generation'). dermforge adds no "
        "watermark or metadata to the image bytes themselves: an image taken out of its row "
        "loses the marking, so keep the row with it.")


def _made_by(backend: str, model: str, n: int, escape: Escape) -> str:
    what = _BACKENDS.get(backend, "made by backend {backend}, model {model}")
    return (f"{escape(backend)} / {escape(model)}: {n} candidate image"
            f"{'s' if n != 1 else ''}, " + what.format(backend=escape(backend),
                                                      model=escape(model)))


def _weights(facts: ReleaseFacts, backend: str, model: str, escape: Escape) -> str:
    stated = facts.weights.get((backend, model))
    if stated is None:
        return ""
    licence, identity = stated
    return (f"; weights licence: {escape(licence)} (its terms bind the use of these "
            f"images); weights identity: {escape(identity)}")


def counted(counter: Counter[str], escape: Escape) -> str:
    """``name (count), …`` with every name escaped (names may come from reviewers)."""
    return ", ".join(f"{escape(k)} ({n})" for k, n in sorted(counter.items())) or "none"
