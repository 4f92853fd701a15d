"""One CLI vocabulary, checked over the whole command tree so that a new command or option
cannot drift from it: `--json` for JSON on every reporting command (never `--format json`),
every release-folder positional named RELEASE, units in rate options, choices for every
enumerated option, `-c/--condition` wherever conditions are taken, `dermforge --version`,
`build --release-version`, and a missing workspace as exit 2 in every command that reads one.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
import typer
from typer._click.core import Command
from typer.core import TyperGroup as Group
from typer.core import TyperOption as Option
from typer.testing import CliRunner

from clirun import CliFailed, invoke
from dermforge.cli import app

ROOT = typer.main.get_command(app)
assert isinstance(ROOT, Group)
#: commands that report nothing a script would parse (a web server)
NOT_REPORTING = {"curate serve"}
#: the only commands that create a workspace
CREATE_WORKSPACE = {"sources import", "sources download"}
#: options whose values are a closed set: `--help` must show the set
ENUMERATED = {"--backend", "--backbone", "--selection", "--cache", "--dtype", "--device",
              "--policy", "--format", "--pool", "--qualification"}


def commands(group: Group = ROOT, prefix: str = "") -> Iterator[tuple[str, Command]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}".strip()
        if isinstance(command, Group):
            yield from commands(command, path)
        else:
            yield path, command


ALL = dict(commands())


def options(command: Command) -> list[Option]:
    return [p for p in command.params if isinstance(p, Option)]


def choices(option: Option) -> tuple[str, ...] | None:
    found = option.type_descriptor.choices
    return None if found is None else tuple(str(c) for c in found)


def test_the_tree_is_walked() -> None:
    assert {"sources table1", "sources download", "seeds sample", "splits", "generate",
            "curate status", "build", "verify", "audit", "evaluate", "publish"} <= set(ALL)


@pytest.mark.parametrize("path", sorted(set(ALL) - NOT_REPORTING))
def test_every_reporting_command_has_json(path: str) -> None:
    names = {opt for o in options(ALL[path]) for opt in o.opts}
    assert "--json" in names, f"`dermforge {path}` reports but has no --json"


@pytest.mark.parametrize("path", sorted(ALL))
def test_no_format_json_and_no_unitless_rate(path: str) -> None:
    for option in options(ALL[path]):
        if "--format" in option.opts:
            assert "json" not in (choices(option) or ("json",)), path
        for name in option.opts:
            assert "rate" not in name, f"{path} {name}: a rate names its unit (x-per-second)"


@pytest.mark.parametrize("path", sorted(ALL))
def test_release_positionals_are_named_release(path: str) -> None:
    for param in ALL[path].params:
        if isinstance(param, Option):
            continue
        about_release = ("release" in (param.name or "")
                         or "release folder" in (getattr(param, "help", None) or ""))
        if about_release:
            assert param.metavar == "RELEASE", f"{path}: argument {param.name} is not RELEASE"


@pytest.mark.parametrize("path", sorted(ALL))
def test_enumerated_options_show_their_choices(path: str) -> None:
    for option in options(ALL[path]):
        if set(option.opts) & ENUMERATED:
            assert choices(option), f"{path} {option.opts}: no choices"
    shown = "".join(CliRunner().invoke(app, [*path.split(), "--help"], env={
        "COLUMNS": "300"}).output.split())
    for option in options(ALL[path]):
        if choices(option) and not option.hidden:
            listed = "".join("|".join(choices(option) or ()).split())  # "other clinician"
            assert listed in shown, (path, option.opts)


@pytest.mark.parametrize("path", sorted(ALL))
def test_conditions_are_dash_c_condition_repeatable(path: str) -> None:
    for option in options(ALL[path]):
        if any("condition" in name for name in option.opts):
            assert sorted(option.opts) == ["--condition", "-c"] and option.multiple, path


@pytest.mark.parametrize("path", sorted(ALL))
def test_workspace_help_says_whether_it_is_created(path: str) -> None:
    for option in options(ALL[path]):
        if "--workspace" in option.opts and path != "splits":
            created = "created if missing" in (option.help or "")
            assert created == (path in CREATE_WORKSPACE), path


def test_the_choices_are_the_librarys() -> None:
    from dermforge.cli import _choices
    from dermforge.curation import list_policies
    from dermforge.evaluation import _config
    from dermforge.evaluation._backbones import list_backbones
    from dermforge.generators import list_backends
    from dermforge.runner import list_executors
    from dermforge.sampling import Pool
    from dermforge.schemas import QUALIFICATIONS
    from dermforge.signing import SIGNATURE_METHODS

    assert sorted(get_args(_choices.Backend)) == list_backends()
    assert sorted(get_args(_choices.Executor)) == list_executors()
    assert sorted(get_args(_choices.Policy)) == list_policies()
    assert sorted(get_args(_choices.Backbone)) == list_backbones()
    assert get_args(_choices.Selection) == get_args(_config.Selection)
    assert get_args(_choices.CacheMode) == get_args(_config.CacheMode)
    assert set(get_args(_choices.Dtype)) == set(get_args(_config.Dtype))
    assert get_args(_choices.Device) == get_args(_config.Device)
    assert get_args(_choices.Pool) == get_args(Pool)
    assert get_args(_choices.SignatureMethod) == SIGNATURE_METHODS
    assert get_args(_choices.QualificationChoice) == QUALIFICATIONS


def test_download_defaults_are_the_librarys() -> None:
    from dataclasses import asdict

    from dermforge.cli._sources import DOWNLOAD_DEFAULTS
    from dermforge.sources import DownloadOptions

    library = asdict(DownloadOptions())
    assert {k: library[k] for k in DOWNLOAD_DEFAULTS} == DOWNLOAD_DEFAULTS


def test_version_prints_the_programs_version() -> None:
    import dermforge

    result = invoke("--version")
    assert result.output == f"dermforge {dermforge.__version__}\n"


def test_build_release_version_is_the_datasets_and_version_is_a_hidden_alias(
        tmp_path: Path) -> None:
    build = ALL["build"]
    release_version = next(o for o in options(build) if "--release-version" in o.opts)
    assert "DATASET's version" in (release_version.help or "")
    old = next(o for o in options(build) if "--version" in o.opts)
    assert old.hidden
    missing = tmp_path / "nowhere"
    with pytest.raises(CliFailed) as failed:
        invoke("build", "-w", missing, "--out", tmp_path / "r", "--version", "1.0.0")
    assert failed.value.exit_code == 2
    assert "`dermforge build --version` is deprecated" in failed.value.output
    assert "use --release-version" in failed.value.output
    with pytest.raises(CliFailed, match="both --release-version"):
        invoke("build", "-w", missing, "--out", tmp_path / "r", "--version", "1.0.0",
               "--release-version", "1.0.0")


@pytest.mark.parametrize(("args", "says"), [
    (["generate", "-w", "ws", "--rate-limit", "5"], "use --images-per-minute"),
    (["sources", "download", "-w", "ws", "--rate-limit", "5"], "use --requests-per-second"),
    (["seeds", "sample", "-w", "ws", "--conditions", "acne"], "use -c/--condition"),
    (["evaluate", "rel", "--conditions", "acne"], "use -c/--condition"),
    (["sources", "table1", "--format", "json"], "--format json was replaced by --json"),
    (["splits", "--paper", "--format", "json"], "--json for JSON"),
])
def test_old_option_names_say_the_new_one(args: list[str], says: str) -> None:
    with pytest.raises(CliFailed) as failed:
        invoke(*args)
    assert failed.value.exit_code == 2
    assert says in " ".join(failed.value.output.split()), failed.value.output


READS_WORKSPACE: dict[str, list[str]] = {
    "seeds sample": [], "splits": [], "prepare": [], "generate": [], "curate status": [],
    "curate export": ["x.csv"], "curate import": ["x.csv"], "curate auto": [],
    "curate migrate": [], "curate signals": [], "curate study-report": [],
    "curate serve": [], "build": ["--out", "release"],
    "curate reviewers add": ["ann", "--qualification", "resident"],
    "curate reviewers revoke": ["ann"], "curate reviewers list": [],
    "curate assign": ["--reviewers", "ann"], "curate agreement": [],
}


def test_every_command_with_a_workspace_is_listed() -> None:
    with_workspace = {p for p, c in ALL.items()
                      if any("--workspace" in o.opts for o in options(c))}
    assert with_workspace == set(READS_WORKSPACE) | CREATE_WORKSPACE


@pytest.mark.parametrize("path", sorted(READS_WORKSPACE))
def test_a_missing_workspace_is_exit_2_naming_it(path: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "wrokspace"
    with pytest.raises(CliFailed) as failed:
        invoke(*path.split(), *READS_WORKSPACE[path], "-w", typo)
    assert failed.value.exit_code == 2, failed.value.output
    flat = " ".join(failed.value.output.split())
    assert f"workspace '{typo}' does not exist" in flat and "fix:" in flat
    assert not typo.exists()


def test_the_pipeline_functions_refuse_a_missing_workspace_too(tmp_path: Path) -> None:
    from dermforge import MissingInputError
    from dermforge.curation import CurateParams
    from dermforge.pipeline import run_curate, run_seeds
    from dermforge.sampling import SeedParams

    for run in (lambda: run_seeds(tmp_path / "typo", SeedParams(pool="csv")),
                lambda: run_curate(tmp_path / "typo", CurateParams())):
        with pytest.raises(MissingInputError, match="does not exist"):
            run()
    assert not (tmp_path / "typo").exists()


def test_a_folder_that_is_no_workspace_is_named(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(CliFailed, match="is not a dermforge workspace") as failed:
        invoke("curate", "status", "-w", tmp_path / "plain")
    assert failed.value.exit_code == 2


#: (pydantic is not here: typer itself loads it to convert option values)
HEAVY = ("datasets", "torch", "torchvision", "pyarrow", "pandas", "numpy", "PIL",
         "huggingface_hub", "openai", "yaml", "dermforge.schemas", "dermforge.pipeline")


def test_the_cli_and_every_help_page_import_no_heavy_module() -> None:
    """`dermforge --help` (and each command's) loads the library only when a command runs."""
    code = (
        "import sys, typer\n"
        "from typer.testing import CliRunner\n"
        "from dermforge.cli import app\n"
        "def walk(group, prefix):\n"
        "    for name, command in group.commands.items():\n"
        "        yield [*prefix, name]\n"
        "        if hasattr(command, 'commands'):\n"
        "            yield from walk(command, [*prefix, name])\n"
        "for p in [[], *walk(typer.main.get_command(app), [])]:\n"
        "    r = CliRunner().invoke(app, [*p, '--help'])\n"
        "    assert r.exit_code == 0, (p, r.output)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
