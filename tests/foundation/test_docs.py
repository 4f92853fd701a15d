"""The documentation site stays true to the code: the generated reference pages cover every
record field and every command option; every `dermforge …` command the guides tell a reader
to run names a command and options that exist; the navigation, README links and screenshots
all point at real files, and every screenshot is one a browser test takes.

(`make docs`, part of `make test`, builds the site with `mkdocs build --strict`: a broken
link, anchor or API reference fails there.)
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer.main
import yaml

from dermforge.cli import app
from dermforge.schemas import RECORD_TYPES

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
GENERATED = {"reference/cli.md", "reference/schema.md"}  # by docs/_hooks.py
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nav_pages() -> list[str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    pages: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            pages.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(config["nav"])
    return pages


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


# --- generated reference --------------------------------------------------------------------

def test_the_schema_page_has_every_record_and_field() -> None:
    page = hooks().schema_reference()
    for model in RECORD_TYPES:
        assert f"## {model.__name__} {{ #record-{model.__name__.lower()} }}" in page
        for field in model.model_json_schema().get("properties", {}):
            assert f"| `{field}` |" in page, (model.__name__, field)


def _visible(command: Any, ctx: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name in getattr(command, "list_commands", lambda _ctx: [])(ctx):
        sub = command.get_command(ctx, name)
        if sub is not None and not sub.hidden:
            found += _visible(sub, sub.context_class(sub, info_name=name, parent=ctx),
                              (*path, name))
    return found


def test_the_cli_page_has_every_command_and_option() -> None:
    page = hooks().cli_reference()
    root = typer.main.get_command(app)
    commands = _visible(root, root.context_class(root, info_name="dermforge"), ("dermforge",))
    assert len(commands) > 20
    for path, command in commands:
        section = page.split(f"## `{' '.join(path)}` {{ #{'-'.join(path)} }}", 1)[1]
        section = section.split("\n## `", 1)[0]
        for param in command.params:
            if getattr(param, "hidden", False) or not getattr(param, "opts", None):
                continue
            if param.param_type_name == "option" and "--help" not in param.opts:
                assert any(opt in section for opt in param.opts), (path, param.opts)


# --- commands in the guides -----------------------------------------------------------------

def shell_commands() -> list[tuple[str, str]]:
    """(page, command line) of every `dermforge …` line in a bash block or after a `$ `."""
    found = []
    for page in doc_pages():
        for lang, body in FENCE.findall(page.read_text(encoding="utf-8")):
            for line in body.replace("\\\n", " ").splitlines():
                line = line.strip()
                if lang == "text" and line.startswith("$ "):
                    line = line[2:]
                elif lang != "bash":
                    continue
                words = shlex.split(line, comments=True)
                while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                    words = words[1:]  # VAR=value dermforge …
                if words and words[0] == "dermforge":
                    found.append((str(page.relative_to(REPO)), " ".join(words)))
    return found


def _resolve(words: list[str]) -> tuple[Any, list[str]]:
    command = typer.main.get_command(app)
    ctx = command.context_class(command, info_name="dermforge")
    rest = words[1:]
    while rest and hasattr(command, "get_command"):
        sub = command.get_command(ctx, rest[0])
        if sub is None:
            break
        command, ctx, rest = sub, sub.context_class(sub, info_name=rest[0], parent=ctx), rest[1:]
    return command, rest


COMMANDS = shell_commands()


def test_the_guides_show_commands() -> None:
    assert len(COMMANDS) > 20
    pages = {page for page, _ in COMMANDS}
    assert {f"docs/guides/{name}.md" for name in (
        "cut-a-release", "curate", "audit", "validate", "generate-openai", "publish")} <= pages


@pytest.mark.parametrize(("page", "line"), COMMANDS, ids=[f"{p}: {c}" for p, c in COMMANDS])
def test_a_documented_command_exists_with_its_options(page: str, line: str) -> None:
    command, rest = _resolve(shlex.split(line))
    assert not hasattr(command, "list_commands") or "--help" in rest or "--version" in rest, (
        f"{page}: {line!r} names a command group, not a command")
    options = {opt for param in command.params if not getattr(param, "hidden", False)
               for opt in (*param.opts, *getattr(param, "secondary_opts", ()))}
    options |= {"--help", "--version"}
    for word in rest:
        if word.startswith("-") and not re.fullmatch(r"-\d.*", word):
            assert word.split("=", 1)[0] in options, f"{page}: {line!r}: no option {word}"


# --- navigation, links, screenshots ---------------------------------------------------------

def test_every_page_is_in_the_navigation_and_every_nav_entry_exists() -> None:
    nav = nav_pages()
    written = {str(p.relative_to(DOCS)) for p in doc_pages()}
    assert set(nav) == written | GENERATED
    assert not (written & GENERATED), "generated pages must not be committed"


def test_the_readme_links_every_guide() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[^)#]+\.md)", readme))
    assert linked, "README has no Documentation links"
    assert all((REPO / link).is_file() for link in linked), linked
    guides = {str(p.relative_to(REPO)) for p in (DOCS / "guides").glob("*.md")}
    assert guides <= linked, guides - linked


def test_every_screenshot_is_referenced_and_taken_by_a_browser_test() -> None:
    shown = {m for page in doc_pages()
             for m in re.findall(r"\]\(\.\./images/([\w.-]+\.png)\)", page.read_text("utf-8"))}
    stored = {p.name for p in (DOCS / "images").glob("*.png")}
    assert shown and shown == stored
    tests = "".join(p.read_text(encoding="utf-8") for p in (REPO / "tests/workbench").glob("*.py"))
    taken = {f"{name}.png" for name in re.findall(r'save_screenshot\(page, "([\w-]+)"', tests)}
    assert stored <= taken, stored - taken
