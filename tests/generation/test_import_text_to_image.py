"""Text-to-image imports: images made from a prompt alone, with no seed photograph.

A CSV row (or sidecar) leaves ``source_id`` empty and states ``condition`` and
``fitzpatrick``; the request is ``text-to-image`` with no input image, the candidate has no
seed, and every later stage handles it explicitly: curation (automatic policy and a person's
verdict), signals (not measured), the release (seed columns null, no ``seeds`` row), verify,
``datasets``, the card, signing (``trainedAlgorithmicMedia``, no seed ingredient) and audit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import datasets
import pytest
from starlette.testclient import TestClient

from clirun import invoke
from dermforge.builder import audit_image, build_release, verify_release
from dermforge.curation import (
    SignalsParams,
    VerdictLog,
    apply_policy,
    compute_signals,
    curation_status,
    export_csv,
)
from dermforge.errors import InputError
from dermforge.generators import create_backend
from dermforge.pipeline import run_splits
from dermforge.runner import generate
from dermforge.sampling import SplitParams
from dermforge.schemas import Candidate, CurationVerdict, GenerationRequest
from dermforge.store import Workspace
from dermforge.workbench import Records, WorkbenchConfig, create_app, seed_view
from signing.helpers import Pki, pki

from .conftest import prepare_seeds
from .test_import_metadata import _image_bytes, png

__all__ = ["pki"]  # the signing tests' test CA, as a fixture here too

#: what Stable Diffusion WebUI writes for txt2img: no "Denoising strength", no input image
TXT2IMG = ("close-up photo of psoriasis plaques on the elbow, very dark skin\n"
           "Negative prompt: cartoon, watermark\n"
           "Steps: 30, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 96x96, "
           "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1")
HEADER = "file,source_id,condition,fitzpatrick,date,operator\n"


@pytest.fixture
def seeds(demo_workspace: Workspace) -> tuple[Workspace, list[str]]:
    return demo_workspace, prepare_seeds(demo_workspace, 2, 128)


def _made(folder: Path, seed: str) -> Path:
    """Three text-to-image PNGs and one img2img PNG made from ``seed``, in one CSV."""
    folder.mkdir()
    for i in range(3):
        png(folder / f"t2i-{i}.png", (40 * i, 60, 90), parameters=TXT2IMG)
    png(folder / "seeded.png", (9, 9, 9), parameters=TXT2IMG + ", Denoising strength: 0.6")
    source = folder / "made.csv"
    source.write_text(HEADER + "t2i-0.png,,psoriasis,6,2026-11-02,op1\n"
                      "t2i-1.png,,psoriasis,5,2026-11-02,op1\n"
                      "t2i-2.png,,squamous cell carcinoma,1,2026-11-02,op1\n"
                      f"seeded.png,{seed},,,2026-11-02,op1\n")
    return source


def test_text_to_image_imports_curates_builds_verifies_loads_signs_and_audits(
        seeds: tuple[Workspace, list[str]], tmp_path: Path, pki: Pki) -> None:
    ws, ids = seeds
    source = _made(tmp_path / "made", ids[0])
    assert generate(ws, create_backend("import", source=source)).stored_images == 4
    assert generate(ws, create_backend("import", source=source)).stored_images == 0  # no-op
    requests = {r.request_id: r for r in ws.read(GenerationRequest)}
    t2i = sorted((c for c in ws.read(Candidate) if c.source_id is None),
                 key=lambda c: str(c.metadata["file_name"]))
    assert len(t2i) == 3
    first = requests[t2i[0].request_id]
    assert (first.operation, first.source_id, first.image_sha256, first.mask_sha256) == (
        "text-to-image", None, None, None)
    assert (first.condition, first.fitzpatrick) == ("psoriasis", 6)
    assert t2i[0].metadata["digital_source_type"] == "trainedAlgorithmicMedia"  # WebUI txt2img
    assert t2i[0].metadata["generator_metadata"]["warnings"] == []  # type: ignore[index,call-overload]

    # curation: the automatic policy (each text-to-image image is its own group), then a
    # person rejects one; the status, the CSV and the signals name them explicitly
    apply_policy(ws, "first-k", 1)
    log = VerdictLog(ws)
    log.append(CurationVerdict(candidate_id=t2i[2].candidate_id, decision="reject",
                               reviewer="rev-a", decided_at=datetime.now(UTC)))
    status = {s.seed_id: s for s in curation_status(ws.read(Candidate), log.latest())}
    assert status[f"text-to-image:{t2i[0].request_id}"].accepted == 1
    assert status[f"text-to-image:{t2i[2].request_id}"].rejected == 1
    page = seed_view(Records(ws), f"text-to-image:{t2i[0].request_id}", 4)
    assert page is not None and page["crop_sha256"] is None
    assert [c["candidate_id"] for c in page["candidates"]] == [t2i[0].candidate_id]
    with TestClient(create_app(WorkbenchConfig(ws)), base_url="http://127.0.0.1") as client:
        html = client.get(f"/seed/text-to-image:{t2i[0].request_id}")
        assert html.status_code == 200 and t2i[0].sha256 in html.text
        assert "/blob/None" not in html.text and "/thumb/None" not in html.text
        index = client.get("/seeds?size=200")
        assert index.status_code == 200 and f"text-to-image:{t2i[0].request_id}" in index.text
    export_csv(ws, tmp_path / "review.csv")
    review = (tmp_path / "review.csv").read_text()
    assert f"{t2i[0].candidate_id},,psoriasis,V-VI," in review
    assert compute_signals(ws, SignalsParams()).text_to_image == 3

    run_splits(ws, SplitParams())
    out = tmp_path / "release"
    build_release(ws, version="1.0.0", out=out)
    verified = verify_release(out)
    assert verified.ok, verified.problems
    rows = {r["image_id"]: r for r in datasets.load_dataset(str(out), "candidates",
                                                            split="train")}
    synthetic = datasets.load_dataset(str(out), split="train")
    assert len(synthetic) == 3  # two text-to-image accepted + the seeded one
    seeds_config = datasets.load_dataset(str(out), "seeds", split="train")
    assert seeds_config["seed_id"] == [ids[0]]  # text-to-image images have no seeds row
    row = rows[t2i[0].candidate_id]
    features = synthetic.features
    assert row["operation"] == "text-to-image" and row["fitzpatrick"] == 6
    assert features["condition"].int2str(row["condition"]) == "psoriasis"
    assert features["fst_group"].int2str(row["fst_group"]) == "V-VI"
    for column in ("seed_id", "source_sha256", "source_dataset", "source_url",
                   "source_license", "crop_box", "crop_method", "crop_sha256", "mask_method",
                   "mask_sha256"):
        assert row[column] is None, column
    assert rows[t2i[2].candidate_id]["verdict"] == "reject"
    assert rows[t2i[2].candidate_id]["reviewer"] == "rev-a"
    card = (out / "README.md").read_text()
    assert "This release has 2\n  such synthetic image(s)" in card

    lineage = audit_image(out, t2i[0].candidate_id)
    assert "source" not in lineage and "crop" not in lineage
    assert lineage["seed"]["seed_id"] is None
    text = invoke("audit", out, t2i[0].candidate_id).output
    assert "text_to_image: no seed photograph (operation text-to-image)" in text

    from dermforge.signing import read_credentials, read_source_type, sign_release

    signed = sign_release(out, key=pki.key, cert=pki.chain, out=tmp_path / "signed",
                          cache=tmp_path / "cache")
    assert verify_release(signed.path).ok
    data = _image_bytes(signed.path, t2i[0].candidate_id)
    assert read_source_type(data, image="t2i") == "trainedAlgorithmicMedia"
    assert read_credentials(data, pki.anchor, image="t2i").ingredients == ()
    marks = invoke("audit", signed.path, t2i[0].candidate_id).output
    assert "no seed photograph" in marks and "trainedAlgorithmicMedia" in marks


@pytest.mark.parametrize(("cells", "message"), [
    (",psorasis,3", r"t2i.png\).*field 'condition': 'psorasis' is not a condition of this "
                    r"workspace or of the paper; use one of .*psoriasis"),
    (",psoriasis,7", r"t2i.png\).*field 'fitzpatrick': .*'7' is not a Fitzpatrick skin type; "
                     r"use a whole number from 1 to 6"),
    (",psoriasis,", r"t2i.png\).*field 'fitzpatrick': empty; name the seed .*or, for a "
                    r"text-to-image image"),
    (",,", r"t2i.png\).*field 'source_id': empty; name the seed the image was made from"),
    ("SEED,psoriasis,3", r"t2i.png\).*field 'condition': given together with source_id "
                         r".*Leave condition and fitzpatrick empty, or leave source_id empty"),
])
def test_bad_text_to_image_rows_name_file_row_and_field(
        seeds: tuple[Workspace, list[str]], tmp_path: Path, cells: str, message: str) -> None:
    ws, ids = seeds
    png(tmp_path / "t2i.png", (3, 3, 3), parameters=TXT2IMG)
    source = tmp_path / "made.csv"
    source.write_text(HEADER + f"t2i.png,{cells.replace('SEED', ids[0])},2026-11-02,op1\n")
    with pytest.raises(InputError, match=r"made.csv row 2 \(" + message):
        generate(ws, create_backend("import", source=source))


def test_a_text_to_image_csv_needs_no_source_id_column_but_says_what_is_missing(
        tmp_path: Path) -> None:
    png(tmp_path / "t2i.png", (3, 3, 3), parameters=TXT2IMG)
    source = tmp_path / "made.csv"
    source.write_text("file,condition,date,operator\nt2i.png,psoriasis,2026-11-02,op1\n")
    with pytest.raises(InputError, match=r"missing column\(s\) source_id \(or condition and "
                       r"fitzpatrick, for text-to-image images\)") as caught:
        create_backend("import", source=source)
    assert "file,condition,fitzpatrick,prompt,model,date,operator" in str(caught.value.fix)


def test_the_records_refuse_a_half_seeded_text_to_image_request() -> None:
    common = {"backend": "import", "model": "m", "prompt": "p", "size": "96x96", "n": 1,
              "mask_sha256": None}
    with pytest.raises(ValueError, match="text-to-image request has no seed"):
        GenerationRequest.create(source_id="a" * 32, operation="text-to-image",
                                 image_sha256=None, condition="psoriasis", fitzpatrick=3,
                                 **common)
    with pytest.raises(ValueError, match="states condition and fitzpatrick"):
        GenerationRequest.create(source_id=None, operation="text-to-image", image_sha256=None,
                                 **common)
    with pytest.raises(ValueError, match="only text-to-image has none"):
        GenerationRequest.create(source_id=None, operation="import", image_sha256=None,
                                 **common)
