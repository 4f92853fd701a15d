"""A release carries its own validation: `dermforge attach` (and `evaluate --attach`) on a
release built by the real builder and evaluated by the real evaluation (random weights, tiny
sizes), then `verify`, tampering, refusals and publishing to the local Hub."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clirun import CliFailed, invoke
from dermforge.builder import (
    VALIDATION_FILES,
    ReleaseFolder,
    data_sha256,
    evaluation_of,
    verify_release,
    write_manifest,
)
from dermforge.builder._card_input import card_input_of
from dermforge.cards import render_card
from dermforge.errors import InputError, ReleaseError
from dermforge.hub import publish_release
from dermforge.pipeline import run_attach, run_build, run_evaluate
from dermforge.sources import demo_images_dir
from dermforge.store import sha256_file
from evaluation.release_fixture import small_config
from hub.helpers import TOKEN
from needs import require
from release.factory import make_ready
from servers.hub_server import HubServer

SECTION = "## Validation against Sagers et al. 2022"
NEXT = "## Bias, Risks, and Limitations"
SMALL = {"synthetic": 4, "doses": (2, 4)}
PARAMS = ("evaluate: {synthetic: 4, doses: [2, 4], select_after_epoch: 0, selection: clean,\n"
          "           batch_size: 64, feature_batch_size: 64}\n")


@dataclass(frozen=True)
class Evaluated:
    unvalidated: Path  # as `dermforge build` wrote it
    evaluation: Path  # `dermforge evaluate --out` of it
    release: Path  # `dermforge attach unvalidated --evaluation evaluation --out release`
    cache: Path


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Evaluated:
    """Read-only: build → evaluate → attach, once per module."""
    require(importlib.util.find_spec("torch") is not None,
            "torch is not installed (the eval extra)")
    from dermforge.builder import BuildParams
    from dermforge.curation import CurateParams

    root = tmp_path_factory.mktemp("attach")
    ready = make_ready(root / "ws")
    unvalidated = root / "release-unvalidated"
    run_build(ready.workspace, BuildParams(), CurateParams(), out=unvalidated, version="1.0.0")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DERMFORGE_OFFLINE", "1")
        env.setenv("TORCH_HOME", str(root / "torch-home"))
        run_evaluate(unvalidated, demo_images_dir(), small_config(**SMALL),
                     out=root / "evaluation", cache_dir=root / "cache")
    result = run_attach(unvalidated, root / "evaluation", out=root / "release")
    assert result.path == root / "release" and not result.unchanged
    return Evaluated(unvalidated, root / "evaluation", root / "release", root / "cache")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _copy(folder: Path, tmp_path: Path, name: str | None = None) -> Path:
    return Path(shutil.copytree(folder, tmp_path / (name or folder.name)))


def _resign(release: Path, changed: str) -> None:
    """What a careful forger does: re-hash ``changed`` in release.json and MANIFEST.json."""
    record = _json(release / "release.json")
    record["files"][changed] = sha256_file(release / changed)
    _dump(release / "release.json", record)
    write_manifest(release)


def _problems(release: Path) -> list[tuple[str, str | None, str]]:
    return [(p.file, p.field, p.problem) for p in verify_release(release).problems]


def test_attached_release_verifies_and_carries_its_validation(evaluated: Evaluated) -> None:
    report = verify_release(evaluated.release)
    assert report.ok, report.problems
    metrics = _json(evaluated.evaluation / "metrics.json")
    record = _json(evaluated.release / "release.json")
    assert record["evaluation"] == evaluation_of(metrics).model_dump(mode="json")
    evaluation = record["evaluation"]
    assert evaluation["files"] == [f"validation/{name}" for name in VALIDATION_FILES]
    assert evaluation["backbone"] == "vgg16" and evaluation["comparable_to_paper"] is False
    assert evaluation["computed"] > 0 and evaluation["paper_cells"] == 36
    # what computed it and why that dtype, as the evaluation printed and recorded
    assert evaluation["device"] == "cpu" and evaluation["device_detail"].startswith("CPU ")
    assert evaluation["dtype_reason"] == metrics["settings"]["dtype_reason"] != ""
    # the evaluation names this release and digests its data files
    source = ReleaseFolder(evaluated.unvalidated)
    assert metrics["release"] == {"name": "fitz17k-dalle-aug", "version": "1.0.0",
                                  "data_sha256": data_sha256(source.manifest)}
    assert evaluation["data_sha256"] == data_sha256(ReleaseFolder(evaluated.release).manifest)
    for name in VALIDATION_FILES:
        assert (evaluated.release / "validation" / name).read_bytes() == \
            (evaluated.evaluation / name).read_bytes()
        assert f"validation/{name}" in record["files"]
    # the data and history are carried unchanged; the source release is untouched
    attached = ReleaseFolder(evaluated.release).manifest
    for rel, entry in source.manifest.items():
        if rel.startswith("data/") or rel in ("CHANGELOG.md", "provenance.schema.json"):
            assert attached[rel] == entry, rel
    assert _json(evaluated.unvalidated / "release.json")["evaluation"] is None
    assert verify_release(evaluated.unvalidated).ok


def test_card_is_the_builds_plus_the_validation_section(evaluated: Evaluated) -> None:
    before = (evaluated.unvalidated / "README.md").read_text(encoding="utf-8")
    after = (evaluated.release / "README.md").read_text(encoding="utf-8")
    # the card input rebuilt from the folder renders exactly the card the build wrote
    assert render_card(card_input_of(ReleaseFolder(evaluated.unvalidated), None)) == before
    # outside the validation section the two cards are identical
    assert before.split(SECTION)[0] == after.split(SECTION)[0]
    assert before.split(NEXT)[1] == after.split(NEXT)[1]
    unvalidated = before.split(SECTION)[1].split(NEXT)[0]
    validated = after.split(SECTION)[1].split(NEXT)[0]
    assert "This release is unvalidated" in unvalidated and "dermforge attach" in unvalidated
    e = _json(evaluated.release / "release.json")["evaluation"]
    for shown in (f"| cells computed | {e['computed']} of {e['paper_cells']} ",
                  f"| {e['intervals_overlap']} of {e['computed']} |",
                  f"| {e['direction_agrees']} of {e['direction_cells']} |",
                  "**vgg16**", "**Not comparable to the paper**",
                  "computed on CPU AVX", f"({e['dtype']}:",
                  "The backbone's weights are random",
                  f"{e['not_computable']} of the paper's 36 Table 2 cells could not be",
                  "[validation/validation.md](validation/validation.md)",
                  "[validation/figure3.png](validation/figure3.png)"):
        assert shown in validated, shown
    assert "unvalidated" not in validated
    limits = _json(evaluated.release / "croissant.json")["rai:dataLimitations"]
    assert any(line.startswith("Reference evaluation against Sagers et al. 2022")
               for line in limits)
    assert any(line.startswith("Unvalidated") for line in
               _json(evaluated.unvalidated / "croissant.json")["rai:dataLimitations"])


def test_removing_validation_fails_verify_by_name(evaluated: Evaluated,
                                                  tmp_path: Path) -> None:
    release = _copy(evaluated.release, tmp_path)
    shutil.rmtree(release / "validation")
    with pytest.raises(CliFailed) as failed:
        invoke("verify", release, "--json")
    assert failed.value.exit_code == 1
    missing = {p["file"] for p in json.loads(failed.value.output)["problems"]}
    assert {f"validation/{name}" for name in VALIDATION_FILES} <= missing
    # also when MANIFEST.json and release.json files are rewritten to match: the
    # evaluation still lists them
    record = _json(release / "release.json")
    record["files"] = {k: v for k, v in record["files"].items()
                       if not k.startswith("validation/")}
    _dump(release / "release.json", record)
    write_manifest(release)
    problems = _problems(release)
    assert ("validation/metrics.json", None, "missing: release.json 'evaluation' lists it") \
        in problems
    assert {f for f, _, _ in problems} >= {f"validation/{n}" for n in VALIDATION_FILES}


def test_a_consistently_tampered_metrics_file_is_caught_by_the_summary(
        evaluated: Evaluated, tmp_path: Path) -> None:
    release = _copy(evaluated.release, tmp_path)
    metrics = _json(release / "validation" / "metrics.json")
    metrics["validation"]["intervals_overlap"] += 1
    (release / "validation" / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    _resign(release, "validation/metrics.json")
    problems = _problems(release)
    assert [(f, field) for f, field, _ in problems] == \
        [("release.json", "evaluation.intervals_overlap")], problems
    assert "validation/metrics.json gives" in problems[0][2]


def test_an_evaluation_of_other_data_is_caught_by_the_digest(evaluated: Evaluated,
                                                             tmp_path: Path) -> None:
    """metrics.json and release.json both rewritten to claim other data: the summary agrees,
    but the data files MANIFEST.json lists digest to something else."""
    release = _copy(evaluated.release, tmp_path)
    other = "0" * 64
    metrics = _json(release / "validation" / "metrics.json")
    metrics["release"]["data_sha256"] = other
    (release / "validation" / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    record = _json(release / "release.json")
    record["evaluation"]["data_sha256"] = other
    _dump(release / "release.json", record)
    _resign(release, "validation/metrics.json")
    problems = _problems(release)
    assert [(f, field) for f, field, _ in problems] == \
        [("release.json", "evaluation.data_sha256")], problems
    assert "computed on other data" in problems[0][2]


def _edit_metrics(folder: Path, **release: str) -> None:
    metrics = _json(folder / "metrics.json")
    metrics["release"].update(release)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


def test_attach_refuses_an_evaluation_of_another_release_or_other_data(
        evaluated: Evaluated, tmp_path: Path) -> None:
    other = _copy(evaluated.evaluation, tmp_path, "other-version")
    _edit_metrics(other, version="1.0.1")
    out = tmp_path / "release"
    with pytest.raises(CliFailed) as failed:
        invoke("attach", evaluated.unvalidated, "--evaluation", other, "--out", out)
    assert failed.value.exit_code == 1
    assert "is an evaluation of release 'fitz17k-dalle-aug' version '1.0.1', not of " \
           "'fitz17k-dalle-aug' version '1.0.0'" in failed.value.output
    assert "fix: evaluate this release" in failed.value.output
    changed = _copy(evaluated.evaluation, tmp_path, "other-data")
    _edit_metrics(changed, data_sha256="1" * 64)
    with pytest.raises(ReleaseError, match="the data changed since the evaluation"):
        run_attach(evaluated.unvalidated, changed, out=out)
    incomplete = _copy(evaluated.evaluation, tmp_path, "incomplete")
    (incomplete / "figure3.png").unlink()
    with pytest.raises(InputError, match=r"has no figure3\.png"):
        run_attach(evaluated.unvalidated, incomplete, out=out)
    with pytest.raises(InputError, match="does not exist"):
        run_attach(evaluated.unvalidated, tmp_path / "nothing", out=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incomplete", "other-data",
                                                          "other-version"]


def test_attach_refuses_a_release_that_fails_verify(evaluated: Evaluated,
                                                    tmp_path: Path) -> None:
    release = _copy(evaluated.unvalidated, tmp_path)
    (release / "CHANGELOG.md").write_text("rewritten\n")
    before = {p: p.read_bytes() for p in release.rglob("*") if p.is_file()}
    with pytest.raises(ReleaseError, match="fails `dermforge verify`") as info:
        run_attach(release, evaluated.evaluation)
    assert "CHANGELOG.md: changed" in str(info.value)
    assert {p: p.read_bytes() for p in release.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == [release.name]


def test_in_place_attach_is_atomic_and_a_second_one_is_refused(evaluated: Evaluated,
                                                              tmp_path: Path) -> None:
    release = _copy(evaluated.unvalidated, tmp_path)
    shown = json.loads(invoke("attach", release, "--evaluation", evaluated.evaluation,
                              "--json").output)
    assert shown["unchanged"] is False and shown["release"] == str(release)
    assert shown["evaluation"] == _json(release / "release.json")["evaluation"]
    assert verify_release(release).ok
    assert [p.name for p in tmp_path.iterdir()] == [release.name]  # no partial folder left
    for name in ("README.md", "croissant.json", "release.json", "MANIFEST.json"):
        assert (release / name).read_bytes() == (evaluated.release / name).read_bytes(), name
    # the same evaluation again changes nothing; another one is refused
    again = invoke("attach", release, "--evaluation", evaluated.evaluation)
    assert "already carries this evaluation" in again.output
    other = _copy(evaluated.evaluation, tmp_path, "other")
    (other / "validation.md").write_text("another report\n")
    with pytest.raises(ReleaseError, match="is validated already"):
        run_attach(release, other)
    with pytest.raises(ReleaseError, match="already exists"):
        run_attach(evaluated.unvalidated, evaluated.evaluation, out=other)


def test_evaluate_attach_validates_the_release_in_place(evaluated: Evaluated,
                                                       tmp_path: Path) -> None:
    release = _copy(evaluated.unvalidated, tmp_path)
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS)
    result = invoke("evaluate", release, "--source-images", demo_images_dir(),
                    "--out", tmp_path / "eval", "--backbone", "vgg16", "--weights", "random",
                    "--epochs", "2", "--image-size", "32", "--views", "2", "--dtype", "fp32",
                    "--params", params, "--cache-dir", evaluated.cache, "--attach")
    assert "validation attached: backbone vgg16" in result.output
    assert verify_release(release).ok
    assert (release / "validation" / "metrics.json").read_bytes() == \
        (tmp_path / "eval" / "metrics.json").read_bytes()
    assert SECTION in (release / "README.md").read_text()
    with pytest.raises(CliFailed) as failed:  # --attach needs a release, before any work
        invoke("evaluate", tmp_path / "eval", "--source-images", demo_images_dir(),
               "--out", tmp_path / "eval2", "--attach", "--params", params)
    assert failed.value.exit_code == 2 and not (tmp_path / "eval2").exists()


def test_validated_release_publishes_with_its_validation(evaluated: Evaluated) -> None:
    repo = "dermforge/fitz17k-dalle-aug"  # the card's build.repo_id (default params)
    with HubServer(token=TOKEN) as hub:
        publish_release(evaluated.release, repo, "v1.0.0", endpoint=hub.url, token=TOKEN,
                        unsigned=True)
        content = hub.repo(repo).resolve("v1.0.0").content()  # type: ignore[union-attr]
    for name in VALIDATION_FILES:
        assert content[f"validation/{name}"] == \
            (evaluated.release / "validation" / name).read_bytes()
    assert SECTION in content["README.md"].decode()
    with pytest.raises(ReleaseError, match="is unvalidated") as info:
        publish_release(evaluated.unvalidated, repo, "v1.0.0", endpoint="http://127.0.0.1:9",
                        token=TOKEN)
    assert "dermforge attach" in info.value.fix and "--unvalidated" in info.value.fix


def test_a_signed_validated_release_keeps_its_validation_bound_to_the_unsigned_data(
        evaluated: Evaluated, tmp_path: Path) -> None:
    """Signing rewrites data/ (marked images), so the validation is bound to the unsigned
    release's data digest, which release.json `signing` records (what `make demo` does)."""
    from dermforge.schemas import Release
    from dermforge.signing import create_demo_keys, sign_release

    keys = create_demo_keys(tmp_path / "keys")
    signed = sign_release(evaluated.release, key=keys.key, cert=keys.chain,
                          out=tmp_path / "signed", cache=tmp_path / "signed-cache").path
    release = Release.model_validate_json((signed / "release.json").read_bytes())
    assert release.signing is not None and release.evaluation is not None
    assert release.signing.unsigned_data_sha256 == release.evaluation.data_sha256
    report = verify_release(signed, public_key=keys.public_key, trust_anchor=keys.anchor)
    assert report.ok, report.problems
    record = _json(signed / "release.json")  # a validation of other data is still caught
    record["signing"]["unsigned_data_sha256"] = "0" * 64
    _dump(signed / "release.json", record)
    _resign(signed, "README.md")
    assert any(field == "evaluation.data_sha256" and "other data" in problem
               for _, field, problem in _problems(signed))


def test_a_forged_device_and_dtype_reason_reach_the_card_only_escaped(
        evaluated: Evaluated, tmp_path: Path) -> None:
    """metrics.json is input: what it says about the hardware is quoted as text, never as
    markup, and a value of the wrong type is refused naming the field."""
    forged = _copy(evaluated.evaluation, tmp_path, "forged")
    metrics = _json(forged / "metrics.json")
    metrics["settings"]["device_detail"] = "<script>alert(1)</script> [x](https://evil.example)"
    metrics["settings"]["dtype_reason"] = "# heading\n\n| a | b |\n<img src=x onerror=alert(1)>"
    (forged / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    run_attach(evaluated.unvalidated, forged, out=tmp_path / "release")
    card = (tmp_path / "release" / "README.md").read_text(encoding="utf-8")
    section = card.split(SECTION)[1].split(NEXT)[0]
    assert not re.search(r"(?<!\\)<(script|img)", section)  # only as escaped text: \<img
    assert "](https://evil.example)" not in section and "\n# heading" not in section
    assert "computed on " in section and "alert\\(1\\)" in section
    assert verify_release(tmp_path / "release").ok
    metrics["settings"]["device"] = ["cpu"]
    (forged / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with pytest.raises(InputError,
                       match=r"metrics\.json field .device.: Input should be a valid string"):
        run_attach(evaluated.unvalidated, forged, out=tmp_path / "again")
    assert not (tmp_path / "again").exists()
