"""params.yaml is strict: known sections only, strict types, UTF-8; the repository's own file
validates, section by section, with each stage's model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dermforge._params import SECTIONS, Params, load_section, read_params_file
from dermforge.builder._params import BuildParams
from dermforge.curation._params import CurateParams
from dermforge.curation._signals_params import SignalsParams
from dermforge.errors import InputError, RecordError
from dermforge.evaluation import EvaluationConfig
from dermforge.prepare import PolygonMask, PrepareParams
from dermforge.prompts import PromptParams
from dermforge.runner import GenerateParams
from dermforge.sampling import SeedParams, SplitParams

REPO_PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"

#: every section read by a stage, with its model (``release`` is read by dvc.yaml only)
MODELS: dict[str, type[Params]] = {
    "curate": CurateParams, "build": BuildParams, "seeds": SeedParams, "splits": SplitParams,
    "prepare": PrepareParams, "prompts": PromptParams, "signals": SignalsParams,
    "generate": GenerateParams, "evaluate": EvaluationConfig,
}


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "params.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_one_list_of_sections_covers_every_stage_model() -> None:
    assert set(SECTIONS) == {*MODELS, "release"}


@pytest.mark.parametrize("section", sorted(MODELS))
def test_the_repository_params_file_validates_strictly(section: str) -> None:
    data, _ = read_params_file(REPO_PARAMS)
    assert set(data) <= set(SECTIONS)
    assert section in data
    loaded = load_section(REPO_PARAMS, section, MODELS[section])
    assert isinstance(loaded, MODELS[section])


def test_release_section_is_known_and_typed() -> None:
    release = yaml.safe_load(REPO_PARAMS.read_text(encoding="utf-8"))["release"]
    assert isinstance(release["version"], str) and isinstance(release["source_date_epoch"], int)


@pytest.mark.parametrize(("key", "suggestion"), [
    ("seed", "seeds"), ("split", "splits"), ("prepair", "prepare"), ("generation", "generate"),
    ("signal", "signals"), ("evaluation", "evaluate"),
])
def test_a_misspelt_section_is_an_error_with_did_you_mean(tmp_path: Path, key: str,
                                                          suggestion: str) -> None:
    path = write(tmp_path, f"{key}:\n  n_per_group: 3\n")
    with pytest.raises(InputError) as caught:
        load_section(path, "seeds", SeedParams)
    message = str(caught.value)
    assert f"unknown section {key!r}; did you mean {suggestion!r}?" in message
    assert str(path) in message and caught.value.exit_code == 2


def test_a_section_nothing_resembles_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown section 'zzz' \(.*\n  fix: rename it to one "
                       r"of: release, curate, build, seeds"):
        load_section(write(tmp_path, "zzz: {}\n"), "seeds", SeedParams)


@pytest.mark.parametrize(("text", "field", "hint"), [
    ("seeds:\n  n_per_group: true\n", "seeds.n_per_group", "true/false is a yes/no value"),
    ("seeds:\n  rng_seed: false\n", "seeds.rng_seed", "true/false is a yes/no value"),
    ("generate:\n  n: '8'\n", "generate.n", "a quoted string is not read"),
    ("generate:\n  timeout_s: '300'\n", "generate.timeout_s", "a quoted string is not read"),
    ("generate:\n  jitter: 'yes'\n", "generate.jitter", "a quoted string is not read"),
    ("generate:\n  budget_usd: true\n", "generate.budget_usd", "true/false is a yes/no value"),
    ("prepare:\n  crop: {output_size: '512'}\n", "prepare.crop.output_size",
     "a quoted string"),
])
def test_strict_types(tmp_path: Path, text: str, field: str, hint: str) -> None:
    section = field.split(".")[0]
    model = {"seeds": SeedParams, "generate": GenerateParams, "prepare": PrepareParams}[section]
    with pytest.raises(RecordError) as caught:
        load_section(write(tmp_path, text), section, model)
    assert caught.value.field == field and hint in caught.value.reason
    assert caught.value.exit_code == 2


def test_yaml_lists_stand_for_tuples_at_any_depth(tmp_path: Path) -> None:
    path = write(tmp_path, "seeds:\n  conditions: [psoriasis, folliculitis]\n  groups: [V-VI]\n"
                 "prepare:\n  mask: {method: polygon, points: [[0, 0], [1, 0], [0.5, 1]]}\n"
                 "evaluate:\n  doses: [8, 2]\n")
    seeds = load_section(path, "seeds", SeedParams)
    assert seeds.conditions == ("psoriasis", "folliculitis") and seeds.groups == ("V-VI",)
    mask = load_section(path, "prepare", PrepareParams).mask
    assert isinstance(mask, PolygonMask) and mask.points == ((0.0, 0.0), (1.0, 0.0), (0.5, 1.0))
    assert load_section(path, "evaluate", EvaluationConfig).doses == (2, 8)


def test_an_int_is_a_float_and_overrides_keep_their_types(tmp_path: Path) -> None:
    path = write(tmp_path, "generate:\n  timeout_s: 300\n")
    overrides: dict[str, Any] = {"n": 2, "jitter": False, "images_per_minute": None}
    loaded = load_section(path, "generate", GenerateParams, overrides)
    assert (loaded.timeout_s, loaded.n, loaded.jitter, loaded.images_per_minute) == (
        300.0, 2, False, None)


def test_non_utf8_params_name_the_file_and_byte(tmp_path: Path) -> None:
    path = write(tmp_path, b"seeds:\n  conditions: [caf\xe9]\n")
    with pytest.raises(InputError) as caught:
        load_section(path, "seeds", SeedParams)
    assert str(caught.value).startswith(f"params file {str(path)!r} is not UTF-8 text: byte "
                                        "0xe9 at byte offset 25 (line 2, column 19)")
    assert caught.value.exit_code == 2


def test_a_folder_given_as_params_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a file"):
        load_section(tmp_path, "seeds", SeedParams)


def test_a_renamed_key_names_its_new_name(tmp_path: Path) -> None:
    path = write(tmp_path, "generate:\n  rate_limit: 60\n")
    with pytest.raises(RecordError, match="unknown key 'rate_limit'; it was renamed "
                       "'images_per_minute'") as raised:
        load_section(path, "generate", GenerateParams)
    assert raised.value.exit_code == 2 and "generate.rate_limit" in str(raised.value)


def test_a_misspelt_key_gets_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, "seeds:\n  n_per_grup: 4\n")
    with pytest.raises(RecordError, match="unknown key 'n_per_grup'; did you mean "
                       "'n_per_group'"):
        load_section(path, "seeds", SeedParams)
