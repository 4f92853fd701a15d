"""`dermforge evaluate` end to end, the reports it writes, and torch staying optional."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dermforge.cli import app
from evaluation.release_fixture import FixtureRelease

PARAMS = """\
evaluate:
  synthetic: 8
  doses: [2, 8]
  selection: clean
  select_after_epoch: 0
  batch_size: 64
  feature_batch_size: 64
"""


def _invoke(release: FixtureRelease, out: Path, tmp_path: Path, *extra: str):  # type: ignore[no-untyped-def]
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS, encoding="utf-8")
    return CliRunner().invoke(app, [
        "evaluate", str(release.release), "--source-images", str(release.images),
        "--out", str(out), "--backbone", "efficientnet-lite0", "--weights", "random",
        "--epochs", "2", "--image-size", "32", "--views", "2", "--dtype", "fp32",
        "--params", str(params), "--cache-dir", str(tmp_path / "cache"), *extra])


def test_evaluate_writes_every_report(release: FixtureRelease, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    result = _invoke(release, out, tmp_path)
    assert result.exit_code == 0, result.output
    assert "not computable: psoriasis: all 18 images are missing" in result.output
    assert "pipeline check" in result.output
    names = {p.name for p in out.iterdir()}
    assert names == {"metrics.json", "results.json", "table2.md", "table2.csv", "table3.md",
                     "table3.csv", "spillover.md", "spillover.csv", "figure3.png",
                     "validation.md", "predictions.csv"}
    metrics = json.loads((out / "metrics.json").read_text())
    scc = metrics["table2"]["squamous cell carcinoma"]
    assert set(scc) == {"train-I-II", "train-V-VI"}
    assert set(scc["train-I-II"]) == {"III-IV", "V-VI"}
    assert set(scc["train-I-II"]["V-VI"]) == {"fitz_only", "seed", "synthetic"}
    assert "psoriasis" not in metrics["table2"]
    assert "all 18 images are missing" in metrics["not_computable"]["psoriasis"]
    assert metrics["settings"]["comparable_to_paper"] is False
    assert metrics["validation"]["paper_cells"] == 36
    validation = (out / "validation.md").read_text()
    assert "**Pipeline check, not a reproduction**" in validation
    assert "| psoriasis | 18 | 0 | 18 | **no**: all 18 images are missing" in validation
    table2 = (out / "table2.md").read_text()
    assert "## Squamous cell carcinoma" in table2 and "## Psoriasis" in table2
    assert "- psoriasis: all 18 images are missing" in table2
    assert (out / "figure3.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = (out / "table2.csv").read_text().splitlines()
    assert rows[0].startswith("condition,experiment,test_group,arm,run_id,n,accuracy")
    assert any(r.startswith("psoriasis,") and "all 18 images are missing" in r for r in rows)
    details = json.loads((out / "results.json").read_text())
    assert details["classes"] == ["basal cell carcinoma", "folliculitis",
                                  "squamous cell carcinoma"]
    assert {r["run_id"] for r in details["runs"]} >= {"train-V-VI/squamous-cell-carcinoma/seed"}


def test_a_second_run_replaces_the_reports_and_unrelated_folders_are_kept(
        release: FixtureRelease, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    assert _invoke(release, out, tmp_path).exit_code == 0
    (out / "stale.txt").write_text("old")
    assert _invoke(release, out, tmp_path, "--seed", "3").exit_code == 0
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "results.json").read_text())["config"]["seed"] == 3
    other = tmp_path / "precious"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    result = _invoke(release, other, tmp_path)
    assert result.exit_code == 2 and "is not an evaluation's output" in result.output
    assert (other / "notes.txt").read_text() == "keep me"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)


def test_torch_is_imported_only_by_an_evaluation() -> None:
    done = _python("import sys, dermforge, dermforge.cli, dermforge.evaluation\n"
                   "from dermforge.cli import app\n"
                   "print('torch' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("blocked", ["torch", "torchvision"])
def test_a_missing_torch_names_the_extra(blocked: str, release: FixtureRelease,
                                         tmp_path: Path) -> None:
    done = _python(
        f"import sys\nsys.modules[{blocked!r}] = None\n"
        "from dermforge.cli import main\n"
        f"sys.argv = ['dermforge', 'evaluate', {str(release.release)!r}, '--source-images', "
        f"{str(release.images)!r}, '--out', {str(tmp_path / 'out')!r}]\n"
        "main()\n")
    assert done.returncode == 2
    assert f"needs the Python package '{blocked}'" in done.stderr
    assert "pip install 'dermforge[eval]'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_option_value_names_the_choices(release: FixtureRelease, tmp_path: Path) -> None:
    result = _invoke(release, tmp_path / "eval", tmp_path, "--selection", "peeking")
    shown = " ".join(result.output.split())
    assert result.exit_code == 2 and "'peeking'" in shown and "'faithful', 'clean'" in shown


def _invoke_vgg16_auto(release: FixtureRelease, out: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """vgg16, random weights, device and dtype left to the params' defaults (auto); small
    sizes only where the decision does not depend on them."""
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS, encoding="utf-8")
    return CliRunner().invoke(app, [
        "evaluate", str(release.release), "--source-images", str(release.images),
        "--out", str(out), "--backbone", "vgg16", "--weights", "random", "--epochs", "2",
        "--image-size", "32", "--views", "2", "-c", "squamous cell carcinoma",
        "--params", str(params), "--cache-dir", str(tmp_path / "cache")])


def _recorded(out: Path) -> dict[str, str]:
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    validation = (out / "validation.md").read_text()
    assert f"- dtype_reason: {settings['dtype_reason']}\n" in validation
    assert f"- device: {settings['device']}\n" in validation
    return settings  # type: ignore[no-any-return]


def test_auto_on_this_machine_prints_and_records_the_choice_and_why(
        release: FixtureRelease, tmp_path: Path) -> None:
    from dermforge.evaluation import choose_dtype, create_backbone, probe_hardware, resolve_device

    hardware = probe_hardware()
    device, _ = resolve_device("auto", hardware)
    check = create_backbone("vgg16", weights="random", image_size=32).bf16_check
    expected = choose_dtype("auto", device, hardware, check)
    out = tmp_path / "eval"
    result = _invoke_vgg16_auto(release, out, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"backbone: vgg16 on {device} ({hardware.device_detail(device)})" in result.output
    settings = _recorded(out)
    assert settings["device"] == device and settings["dtype_reason"].startswith("auto: ")
    if not expected.verify:  # fp16 on a GPU is confirmed on the first batch
        assert f"{expected.dtype}: {expected.reason}" in result.output
        assert (settings["dtype"], settings["dtype_reason"]) == (expected.dtype, expected.reason)
    if device == "cpu" and hardware.native_cpu_bf16 is False:  # the AVX2-only CPU
        assert settings["dtype"] == "fp32" and "has no native bf16" in settings["dtype_reason"]


def test_auto_on_an_avx2_only_cpu_runs_fp32_and_says_why(
        release: FixtureRelease, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's probe replaced by the capability of the issue's machine (torch untouched)."""
    from dermforge.evaluation import HardwareCapability, _runner

    avx2 = HardwareCapability("AVX2", frozenset(), torch_version="2.14.1")
    monkeypatch.setattr(_runner, "probe_hardware", lambda: avx2)
    out = tmp_path / "eval"
    result = _invoke_vgg16_auto(release, out, tmp_path)
    assert result.exit_code == 0, result.output
    why = ("auto: this CPU (AVX2, no native bf16) has no native bf16 (AVX-512 BF16 or AMX); "
           "bf16 autocast ran VGG16 10.6x slower than fp32 on such a CPU (BENCHMARKS.md)")
    assert f"backbone: vgg16 on cpu (CPU AVX2, no native bf16), fp32: {why}" in result.output
    settings = _recorded(out)
    assert (settings["dtype"], settings["dtype_reason"], settings["device"]) == (
        "fp32", why, "cpu")
    assert settings["device_detail"] == "CPU AVX2, no native bf16"
