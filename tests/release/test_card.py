"""The dataset card: YAML header the Hub reads, and prose computed from the data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from datasets import Features

from dermforge._params import load_section
from dermforge.builder import BuildParams, audit_image, build_release
from dermforge.cards import md_text, plain_text
from dermforge.curation import apply_policy
from dermforge.errors import RecordError
from dermforge.schemas import CurationVerdict
from release.factory import Ready


def header_and_body(path: Path) -> tuple[dict[str, object], str]:
    text = (path / "README.md").read_text()
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def test_yaml_header(built: tuple[Ready, Path]) -> None:
    header, _ = header_and_body(built[1])
    assert header["license"] == "cc-by-nc-sa-3.0"
    assert header["task_categories"] == ["image-classification"]
    assert header["size_categories"] == ["n<1K"]  # the largest config: splits, 96 rows
    assert header["source_datasets"] == ["extended|other-fitzpatrick17k"]
    assert "dermatology" in header["tags"] and "synthetic" in header["tags"]
    configs = header["configs"]
    assert [c["config_name"] for c in configs] == ["synthetic", "candidates", "seeds",
                                                   "experiments", "splits"]
    assert configs[0]["default"] is True
    # the deprecated name reads the experiments' files; the card says so
    assert configs[4]["data_files"] == configs[3]["data_files"] == [
        {"split": "train", "path": "data/experiments/train-*.parquet"}]
    infos = {i["config_name"]: i for i in header["dataset_info"]}
    assert infos["synthetic"]["splits"][0]["num_examples"] == 16
    features = Features._from_yaml_list(infos["synthetic"]["features"])
    assert features["condition"].names[-1] == "squamous cell carcinoma"


def test_prose_is_computed_from_the_data(built: tuple[Ready, Path]) -> None:
    _, body = header_and_body(built[1])
    # 2 seeds per cell x 2 accepted: FST II holds 4 per condition, V and VI 2 each
    assert "| FST | Basal Cell Carcinoma | Squamous Cell Carcinoma | Total |" in body
    assert "| II | 4 | 4 | 8 |" in body and "| Total | 8 | 8 | 16 |" in body
    assert "| basal cell carcinoma | V-VI | 2 | 6 | 4 | 2 | 0 | 0 |" in body
    for needle in ("Fitzpatrick 17k", "DermaAmin", "Atlas", "CC BY-NC-SA 3.0", "leakage",
                   "Sagers, L. W.", "Groh, M.", "First release: 16 synthetic images",
                   "4 candidates per seed are accepted", "rev-a (24)"):
        assert needle in body, needle
    assert "Automatic curation" not in body


def test_automatic_verdicts_are_flagged(ready: Ready, tmp_path: Path) -> None:
    log_path = ready.workspace.manifest(CurationVerdict).path
    log_path.unlink()
    apply_policy(ready.workspace, "first-k", 4)
    release = build_release(ready.workspace, version="0.1.0", out=tmp_path / "auto")
    header, body = header_and_body(release.path)
    assert "**Automatic curation.** 24 of 24" in body and "auto:first-k" in body
    assert header["annotations_creators"] == ["machine-generated"]


def test_the_card_carries_the_deprecation_of_the_splits_config(
        built: tuple[Ready, Path]) -> None:
    _, body = header_and_body(built[1])
    assert "**Deprecated:** the config name `splits` still loads `experiments`" in body
    assert "`seed_fitzpatrick` → `fitzpatrick`" in body


def _qualified(ready: Ready, qualifications: list[str | None]) -> None:
    """People's verdicts (as the fixture wrote them), the i-th with qualifications[i % n]."""
    ready.workspace.manifest(CurationVerdict).rewrite(
        v.model_copy(update={"reviewer_qualification": qualifications[i % len(qualifications)]})
        for i, v in enumerate(ready.verdicts))


@pytest.mark.parametrize(("qualifications", "policy", "creators", "table"), [
    ([None], False, ["other"], ["| not stated | 24 |"]),
    (["non-clinician", "other clinician"], False, ["other"],
     ["| other clinician | 12 |", "| non-clinician | 12 |"]),
    (["dermatologist"], False, ["expert-generated"], ["| dermatologist | 24 |"]),
    (["resident", None], False, ["expert-generated", "other"],
     ["| resident | 12 |", "| not stated | 12 |"]),
    (["dermatologist", None, "non-clinician", None], True,
     ["expert-generated", "other", "machine-generated"],
     ["| dermatologist | 6 |", "| non-clinician | 6 |",
      "| automatic policy (not a person) | 12 |"]),
], ids=["not-stated", "non-experts", "experts", "expert-and-not", "mixed-with-policy"])
def test_annotations_creators_follow_the_deciding_reviewers(
        ready: Ready, tmp_path: Path, qualifications: list[str | None], policy: bool,
        creators: list[str], table: list[str]) -> None:
    _qualified(ready, qualifications)
    if policy:  # people decided half the candidates, the policy the others
        log = ready.workspace.manifest(CurationVerdict)
        mine = log.read()
        log.rewrite(mine[::2])
        ready.workspace.auto_verdicts().rewrite(
            v.model_copy(update={"reviewer": "auto:first-k", "reviewer_qualification": None})
            for v in mine[1::2])
    release = build_release(ready.workspace, version="0.1.0", out=tmp_path / "r")
    header, body = header_and_body(release.path)
    assert header["annotations_creators"] == creators
    assert "| Reviewer qualification | Deciding verdicts |" in body
    for row in table:
        assert row in body, row
    stated = sum(int(r.rsplit("|", 2)[1]) for r in table)
    assert stated == 24
    # each release row records its verdict's qualification, and `audit` shows it
    rows = pq.read_table(release.path / "data" / "candidates",
                         columns=["image_id", "reviewer_qualification"]).to_pylist()
    for row in rows[:3]:
        shown = audit_image(release.path, row["image_id"])["verdict"]
        assert shown["reviewer_qualification"] == row["reviewer_qualification"]
    if qualifications == ["dermatologist"]:
        assert {r["reviewer_qualification"] for r in rows} == {"dermatologist"}


def test_people_outrank_the_policy_in_the_release(ready: Ready, tmp_path: Path) -> None:
    apply_policy(ready.workspace, "first-k", 4)  # decides nothing: people judged every one
    assert ready.workspace.auto_verdicts().read() == []
    ready.workspace.auto_verdicts().rewrite([  # a stale automatic log that disagrees
        v.model_copy(update={"reviewer": "auto:first-k", "decision": "reject"})
        for v in ready.verdicts])
    release = build_release(ready.workspace, version="0.1.0", out=tmp_path / "mixed")
    _, body = header_and_body(release.path)
    assert "Automatic curation" not in body and "rev-a (24)" in body
    assert release.release.counts["synthetic"] == 16


def test_reviewer_text_is_escaped_for_markdown_and_kept_on_one_line() -> None:
    evil = "x\n\n## Licence\nMIT <b>b</b> [l](http://e.x) www.e.x a@e.x | t |\u2028`c`"
    shown = md_text(evil)
    assert "\n" not in shown and "\u2028" not in shown
    assert re.search(r"(?<!\\)[<>\[\]|`#*_&]", shown) is None, shown  # all escaped
    for raw in ("http://", "www.", "a@e"):  # GitHub-style autolinks broken up
        assert raw not in shown, raw
    assert md_text("rev-a") == "rev-a" and md_text("auto:first-k") == "auto:first-k"
    assert md_text("- item").startswith("\\-")
    assert plain_text("a\n\tb\x00c" + "d" * 200) == "a b c" + "d" * 94 + "…"


def test_snippets_contact_privacy_and_ai_disclosure(built: tuple[Ready, Path]) -> None:
    _, body = header_and_body(built[1])
    repo = "dermforge/fitz17k-dalle-aug"  # build.repo_id's default
    assert f'synthetic = load_dataset("{repo}", split="train", revision="v1.0.0")' in body
    assert f'seeds = load_dataset("{repo}", "seeds", split="train", revision="v1.0.0")' in body
    assert f"hf download {repo} --repo-type dataset --revision v1.0.0 --local-dir " \
        "fitz17k-dalle-aug-1.0.0" in body
    assert 'load_dataset("fitz17k-dalle-aug-1.0.0", "candidates", split="train")' in body
    assert "Questions and corrections: <https://github.com/dermforge/dermforge/issues>" in body
    assert "writing to <privacy@dermforge.org>" in body and "never names" in body
    # the factory's seeds come from both atlases, counted by source_url host
    assert "Seeds by source site: Atlas Dermatologico (atlasdermatologico.com.br): 4 seeds; " \
        "DermaAmin (dermaamin.com): 4 seeds." in body
    assert "Consent:" in body and "De-identification:" in body
    # the factory's images come from the classic backend: synthetic, but not from an AI model
    assert "classic / classic-noise-v1: 24 candidate images, not made by an AI model" in body
    assert "EU AI Act Art. 50(2)" in body


def test_croissant_says_what_the_card_says(built: tuple[Ready, Path]) -> None:
    doc = json.loads((built[1] / "croissant.json").read_text())
    _, body = header_and_body(built[1])
    for paragraph in doc["rai:personalSensitiveInformation"][:5]:
        assert paragraph in body, paragraph
    assert doc["citeAs"].startswith("@misc{fitz17k-dalle-aug-v1.0.0,")
    assert doc["url"] == "https://huggingface.co/datasets/dermforge/fitz17k-dalle-aug"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("repo_id", "fitz17k-dalle-aug", "not a Hub repository id ORG/NAME"),
    ("repo_id", "a/b/c", "not a Hub repository id ORG/NAME"),
    ("contact", "PATH_OR_CONTACT", "neither an email address"),
    ("takedown", "javascript:alert(1)", "neither an email address"),
    ("takedown", "http://plain.example.org", "neither an email address"),
])
def test_card_params_are_strict(tmp_path: Path, field: str, value: str, message: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"build": {field: value}}))
    with pytest.raises(RecordError, match=message) as info:
        load_section(path, "build", BuildParams)
    assert f"build.{field}" in str(info.value) and repr(value) in str(info.value)
    assert info.value.fix
