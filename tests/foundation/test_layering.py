"""The layering docs/architecture.md states is the layering the code has:

- the CLI (``cli/``) only parses options, calls the library and prints: it never writes a
  record, a blob or a file itself (every stage's writing is in ``pipeline/`` and below);
- ``pipeline/`` wires the stage packages and never imports the CLI;
- the stage packages never import ``cli`` or ``pipeline``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "dermforge"
WRITES = {"append", "rewrite", "put", "put_file", "clean_leftovers", "atomic_write_text",
          "atomic_write_bytes", "atomic_writer", "write_text", "write_bytes"}
STAGE_PACKAGES = ("sources", "sampling", "prepare", "prompts", "generators", "runner",
                  "curation", "workbench", "builder", "cards", "hub", "evaluation", "store",
                  "schemas", "signing")


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


def imported(path: Path) -> set[str]:
    """Absolute names of the dermforge modules ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = list(parts[:len(parts) - node.level]) if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith("dermforge")}


def called(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
        node.func, "id", "") for node in ast.walk(tree) if isinstance(node, ast.Call)}


@pytest.mark.parametrize("path", modules("cli"), ids=lambda p: p.name)
def test_the_cli_never_writes_records_blobs_or_files_itself(path: Path) -> None:
    writes = called(path) & WRITES
    assert not writes, f"cli/{path.name} writes by itself ({sorted(writes)}): move it into " \
                       "the library (a run_<stage> in dermforge.pipeline)"


@pytest.mark.parametrize("path", modules("pipeline"), ids=lambda p: p.name)
def test_the_pipeline_never_imports_the_cli(path: Path) -> None:
    assert not {m for m in imported(path) if m.startswith("dermforge.cli")}


@pytest.mark.parametrize("package", STAGE_PACKAGES)
def test_stage_packages_import_neither_cli_nor_pipeline(package: str) -> None:
    for path in modules(package):
        bad = {m for m in imported(path)
               if m.startswith(("dermforge.cli", "dermforge.pipeline"))}
        assert not bad, f"{package}/{path.name} imports {sorted(bad)}"


def test_every_dvc_stage_runs_a_dermforge_command_backed_by_a_run_function() -> None:
    import yaml

    from dermforge import pipeline

    stages = yaml.safe_load((PACKAGE.parents[1] / "dvc.yaml").read_text())["stages"]
    for name, spec in stages.items():
        assert " dermforge " in f" {spec['cmd']} ", name
    assert {"run_import", "run_seeds", "run_splits", "run_prepare", "run_generate",
            "run_curate", "run_signals", "run_build", "run_evaluate",
            "run_attach"} <= set(pipeline.__all__)


def test_one_release_reader_used_by_builder_verify_audit_and_hub() -> None:
    readers = [p for p in PACKAGE.rglob("*.py")
               if any(isinstance(n, ast.ClassDef) and n.name == "ReleaseFolder"
                      for n in ast.walk(ast.parse(p.read_text())))]
    assert [p.relative_to(PACKAGE).as_posix() for p in readers] == ["builder/_folder.py"]
    for user in ("builder/_verify.py", "builder/_audit.py", "builder/_diff.py",
                 "hub/_release.py"):
        assert any(m.startswith("dermforge.builder") for m in imported(PACKAGE / user)), user
