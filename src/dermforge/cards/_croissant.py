"""croissant.json: Croissant 1.1 metadata with the Responsible-AI (RAI 1.0) fields.

Generated from the same `datasets.Features` as the parquet shards, so each record set's
fields match the columns; class labels reference enumeration record sets of their names.
"""

from __future__ import annotations

from typing import Any

from datasets import ClassLabel, Features, Image, Json, List, Value

from .._paper import PAPER_CITATION
from ..schemas import Record, ReleaseRow, SeedRow, SplitMembership
from ._card import LICENSE_URL, SOURCE_CITATION, TAGS, CardInput, release_bibtex
from ._escape import plain_text
from ._statements import ai_disclosure, marking, personal_information, takedown_procedure

__all__ = ["CROISSANT_CONFORMS_TO", "croissant"]

CROISSANT_CONFORMS_TO = ["http://mlcommons.org/croissant/1.1",
                         "http://mlcommons.org/croissant/RAI/1.0"]

_CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs", "column": "cr:column", "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn", "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes",
    "isArray": "cr:isArray", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "name": {"@container": "@language"},
    "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated",
    "replace": "cr:replace", "samplingRate": "cr:samplingRate", "sc": "https://schema.org/",
    "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform",
}
_KEYS = {"synthetic": ["image_id"], "candidates": ["image_id"],
         "seeds": ["seed_id", "crop_sha256", "mask_sha256"],
         "experiments": ["source_id", "experiment"]}
_DOCS: dict[str, type[Record]] = {"synthetic": ReleaseRow, "candidates": ReleaseRow,
                                   "seeds": SeedRow, "experiments": SplitMembership}


def _data_type(feature: Value) -> str:
    dtype = feature.dtype
    if dtype.startswith("timestamp"):
        return "sc:DateTime"
    if dtype.startswith(("int", "uint")):
        return "sc:Integer"
    if dtype.startswith("float"):
        return "sc:Float"
    if dtype == "bool":
        return "sc:Boolean"
    return "sc:Text"


def _field(config: str, column: str, feature: Any, enums: dict[str, str],
           path: tuple[str, ...] = ()) -> dict[str, Any]:
    field_id = "/".join((config, column, *path))
    node: dict[str, Any] = {"@type": "cr:Field", "@id": field_id, "name": path[-1] if path
                            else column}
    source: dict[str, Any] = {"fileSet": {"@id": f"{config}-parquet"},
                              "extract": {"column": column}}
    if path:
        source["transform"] = {"jsonPath": ".".join(path)}
    if isinstance(feature, List) and isinstance(feature.feature, dict):
        feature = feature.feature  # a list of records: an array of sub-fields
        node["isArray"] = True
        node["arrayShape"] = "-1"
    if isinstance(feature, dict):
        node["subField"] = [_field(config, column, sub, enums, (*path, name))
                            for name, sub in feature.items()]
        return node
    if isinstance(feature, Image):
        node["dataType"] = "sc:ImageObject"
        source["transform"] = {"jsonPath": "bytes"}
    elif isinstance(feature, ClassLabel):
        node["dataType"] = "sc:Integer"
        node["references"] = {"field": {"@id": f"{enums[column]}/label"}}
    elif isinstance(feature, Json):
        node["dataType"] = "sc:Text"  # a JSON object as canonical JSON text
    elif isinstance(feature, List):
        node["dataType"] = _data_type(feature.feature)
        node["isArray"] = True
        node["arrayShape"] = "-1"
    else:
        node["dataType"] = _data_type(feature)
    node["source"] = source
    return node


def _enumeration(enum_id: str, names: list[str], what: str) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet", "@id": enum_id, "name": enum_id,
        "description": f"Names of the {what} class labels (index → name).",
        "dataType": "sc:Enumeration", "key": {"@id": f"{enum_id}/label"},
        "field": [
            {"@type": "cr:Field", "@id": f"{enum_id}/label", "name": "label",
             "dataType": "sc:Integer"},
            {"@type": "cr:Field", "@id": f"{enum_id}/name", "name": "name",
             "dataType": "sc:Text"},
        ],
        "data": [{f"{enum_id}/label": i, f"{enum_id}/name": n} for i, n in enumerate(names)],
    }


def _record_set(config: str, description: str, features: Features,
                enums: dict[str, str]) -> dict[str, Any]:
    docs = _DOCS[config].model_fields
    fields = []
    for column, feature in features.items():
        node = _field(config, column, feature, enums)
        doc = docs[column].description if column in docs else None
        if doc:
            node["description"] = doc
        fields.append(node)
    return {"@type": "cr:RecordSet", "@id": config, "name": config, "description": description,
            "key": [{"@id": f"{config}/{k}"} for k in _KEYS[config]], "field": fields}


def croissant(card: CardInput) -> dict[str, Any]:
    first = card.features[card.configs[0].name]
    enums = {"condition": "condition-names", "fst_group": "fst-group-names"}
    record_sets = [
        _enumeration("condition-names", list(first["condition"].names), "condition"),
        _enumeration("fst-group-names", list(first["fst_group"].names),
                     "Fitzpatrick skin type group"),
    ]
    distribution = []
    for c in card.configs:
        distribution.append({
            "@type": "cr:FileSet", "@id": f"{c.name}-parquet", "name": f"{c.name}-parquet",
            "description": f"Parquet shards of the {c.name} config.",
            "encodingFormat": "application/x-parquet",
            "includes": f"data/{c.name}/train-*.parquet",
        })
        record_sets.append(_record_set(c.name, c.description, card.features[c.name], enums))
    return {
        "@context": _CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CROISSANT_CONFORMS_TO,
        "name": card.name,
        "alternateName": card.pretty_name,
        "description": (
            "Synthetic images of skin disease made from Fitzpatrick 17k seed images by masked "
            "inpainting (the protocol of Sagers et al. 2022), curated by reviewers, with "
            "per-image provenance. Configs: " + ", ".join(c.name for c in card.configs) + "."),
        "license": LICENSE_URL,
        "url": card.repo_url,
        "sameAs": card.homepage,
        "version": card.version,
        "datePublished": card.created.isoformat(),
        "citeAs": release_bibtex(card),
        "citation": [PAPER_CITATION, SOURCE_CITATION],
        "creator": {"@type": "sc:Organization", "name": card.creator},
        "keywords": TAGS,
        "inLanguage": "en",
        **_rai(card),
        "distribution": distribution,
        "recordSet": record_sets,
    }


def _rai(card: CardInput) -> dict[str, Any]:
    facts = card.facts
    automatic = facts.automatic_verdicts
    total = sum(facts.reviewers.values())
    return {
        "rai:dataCollection": (
            "Seed images were sampled per condition and Fitzpatrick skin-type group from "
            "Fitzpatrick 17k (images from the DermaAmin and Atlas Dermatologico atlases), "
            "cropped square around the pathology and masked; a generative model inpainted the "
            "masked region from the template prompt 'An image of [skin condition] on the "
            "[body part] of a [skin type description] [noun].'"),
        "rai:dataCollectionType": ["Synthetic data generation", "Secondary data analysis"],
        "rai:dataPreprocessingProtocol": [
            "Square crop centred on the pathology; RGBA inpainting mask (alpha 0 = "
            "regenerated region); crops, masks and images are stored by sha256."],
        "rai:dataAnnotationProtocol": [
            f"Each candidate is accepted or rejected for photorealism and pathophysiologic "
            f"consistency; at most {card.keep_per_seed} accepted per seed; people's verdicts "
            "(an append-only log) always outrank an automatic policy's (a separate log), and "
            "within one log the latest verdict per candidate counts. Condition and skin type "
            "come from the seed's Fitzpatrick 17k labels."],
        "rai:dataAnnotationPlatform": ["dermforge curation (CSV round trip or local web app)"],
        "rai:annotationsPerItem": ("one verdict counts per image (a person's latest, else the "
                                   "policy's latest); history kept"),
        "rai:machineAnnotationTools": (
            [f"{plain_text(r)}: automatic demo policy, not a human review ({n} verdicts)"
             for r, n in sorted(facts.reviewers.items()) if r.startswith("auto:")]
            or ["none"]),
        "rai:dataBiases": [
            "Only the skin-type extremes (FST I-II and V-VI) are seeded in the paper's protocol; "
            "few seeds per cell, so the synthetic images share their seeds' features.",
            "Fitzpatrick skin type is a coarse proxy for skin tone; source labels have an "
            "estimated 3.4% error rate."],
        "rai:dataLimitations": [
            "Possible leakage: the generative model may have seen Fitzpatrick 17k images "
            "(including images used as test images), and the source holds near-duplicates.",
            f"{automatic} of {total} verdicts were made by an automatic policy." if automatic
            else "All verdicts were made by the listed human reviewers.",
            _validation_statement(card),
            "Not clinically validated."],
        "rai:dataUseCases": [
            "Research on augmentation of dermatology classifiers across skin types.",
            "Not for clinical diagnosis or commercial use."],
        "rai:dataSocialImpact": (
            "Aims to reduce performance gaps of dermatology classifiers on under-represented "
            "skin types; synthetic images must not replace diverse real data or be presented "
            "as real patients."),
        "rai:personalSensitiveInformation": [
            *personal_information(facts, plain_text),
            *takedown_procedure(card.takedown, card.repo_id)],
        "rai:dataCollectionRawData": " ".join(
            [*(f"{line.rstrip('.')}." for line in ai_disclosure(facts, plain_text)), marking()]),
        "rai:dataReleaseMaintenancePlan": (
            "Semantic versions; each release lists added and removed images and changed "
            "verdicts in CHANGELOG.md; MANIFEST.json and per-image sha256 allow verification."),
    }


def _validation_statement(card: CardInput) -> str:
    """The reference evaluation against Sagers et al. 2022, in one sentence."""
    e = card.evaluation
    if e is None:
        return ("Unvalidated: no reference evaluation against Sagers et al. 2022 is attached "
                "(release.json evaluation is null).")
    caveat = "" if e.comparable_to_paper else (
        " The backbone is not the paper's ImageNet VGG16: a pipeline check, not comparable "
        "to the paper.")
    return (f"Reference evaluation against Sagers et al. 2022 (validation/validation.md): "
            f"backbone {plain_text(e.backbone)}; {e.computed} of the paper's {e.paper_cells} "
            f"Table 2 cells computed, {e.intervals_overlap} with overlapping 95% intervals, "
            f"direction of effect as in the paper in {e.direction_agrees} of "
            f"{e.direction_cells}.{caveat}")
