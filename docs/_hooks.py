"""mkdocs hook: generates the reference pages from the code at every build, so they cannot
drift from it and no generated file is committed.

- ``reference/schema.md`` from the JSON Schemas of the provenance records
  (``dermforge.schemas.RECORD_TYPES`` and ``json_schema_text``, what ``dermforge schemas
  export`` writes);
- ``reference/cli.md`` from the typer app itself (every command, argument and option, as
  ``--help`` shows them; hidden options are left out, as ``--help`` leaves them out).

The hook imports dermforge from this checkout's ``src/`` (not from an installed copy), so the
pages describe the code they are built with.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PAGE = "reference/schema.md"
CLI_PAGE = "reference/cli.md"

#: where the records that are not workspace manifests live
RELEASE_FILES = {
    "ReleaseRow": "release `data/synthetic/*.parquet` and `data/candidates/*.parquet` "
                  "(one row each; also `provenance.schema.json`)",
    "SeedRow": "release `data/seeds/*.parquet`",
    "Release": "release `release.json`",
}


def _use_this_checkout() -> None:
    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    loaded = sys.modules.get("dermforge")
    if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(src):
        raise RuntimeError(f"dermforge was already imported from {loaded.__file__}, not {src}")


def md_escape(text: str) -> str:
    """Plain text made safe for a Markdown paragraph or table cell."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)


def doc_text(text: str, one_line: bool = False) -> str:
    """A docstring or field description as Markdown: ``x`` and `x` become code spans, the
    rest is escaped; ``one_line`` for a table cell."""
    parts = re.split(r"``?([^`]+?)``?", text)
    out = "".join(f"`{part}`" if i % 2 else md_escape(part) for i, part in enumerate(parts))
    return " ".join(out.split()) if one_line else out


# --- the provenance schema reference --------------------------------------------------------

def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#type-{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type_of(option) for option in schema["anyOf"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return "array of " + (_type_of(items) if items else "any JSON")
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return "object of " + _type_of(extra)
        return "object"
    if kind is None:
        return "any JSON"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


_CONSTRAINTS = (("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"),
                ("exclusiveMaximum", "< {}"), ("minLength", "length ≥ {}"),
                ("maxLength", "length ≤ {}"), ("minItems", "items ≥ {}"),
                ("maxItems", "items ≤ {}"), ("pattern", "pattern `{}`"))


def _constraints(schema: dict[str, Any]) -> list[str]:
    found = [text.format(schema[key]) for key, text in _CONSTRAINTS if key in schema]
    for option in schema.get("anyOf", []):
        found += _constraints(option)
    return found


def _field_rows(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        notes = [doc_text(field["description"], one_line=True)] if field.get("description") \
            else []
        notes += [doc_text(c) for c in _constraints(field)]
        if "default" in field:
            notes.append(f"default `{json.dumps(field['default'])}`")
        kind = _type_of(field)
        rows.append(f"| `{name}` | {kind} | {'yes' if name in required else 'no'} | "
                    f"{'; '.join(notes)} |")
    return rows


def _object_section(name: str, schema: dict[str, Any], level: str, anchor: str) -> list[str]:
    lines = [f"{level} {name} {{ #{anchor} }}", ""]
    if "description" in schema:
        lines += [doc_text(schema["description"]), ""]
    if schema.get("properties"):
        lines += [*_field_rows(schema), ""]
    elif "enum" in schema or "type" in schema:
        lines += [f"Type: {_type_of(schema)}.", ""]
    else:
        lines += ["Any JSON value.", ""]
    return lines


def schema_reference() -> str:
    """The provenance schema page: every record type, its fields and its JSON Schema."""
    _use_this_checkout()
    from dermforge.schemas import RECORD_TYPES, json_schema_text
    from dermforge.store import MANIFEST_FILES

    lines = [
        "# Provenance schema reference", "",
        "Generated from the code at docs build time: every record dermforge writes, with the "
        "fields of its JSON Schema. Records are validated strictly when written and when read "
        "(unknown fields are errors). The same schemas as files: "
        "`dermforge schemas export DIR` writes one `<Record>.schema.json` per record type; a "
        "release carries the schema of its rows as `provenance.schema.json`.", "",
        "| record | where it lives |", "|---|---|",
    ]
    where = {model.__name__: f"workspace `records/{MANIFEST_FILES[model]}`"
             for model in RECORD_TYPES if model in MANIFEST_FILES}
    where.update({k: v for k, v in RELEASE_FILES.items() if k not in where})
    for model in RECORD_TYPES:
        name = model.__name__
        lines.append(f"| [{name}](#record-{name.lower()}) | {where.get(name, '')} |")
    lines.append("")
    defs: dict[str, dict[str, Any]] = {}
    for model in RECORD_TYPES:
        text = json_schema_text(model)
        schema = json.loads(text)
        defs.update(schema.get("$defs", {}))
        lines += _object_section(model.__name__, schema, "##", f"record-{model.__name__.lower()}")
        lines += ['??? note "JSON Schema"', "", "    ```json"]
        lines += [f"    {line}" if line else "" for line in text.splitlines()]
        lines += ["    ```", ""]
    lines += ["## Shared types", "",
              "Types that several records embed (the `$defs` of their JSON Schemas).", ""]
    for name in sorted(defs):
        lines += _object_section(name, defs[name], "###", f"type-{name.lower()}")
    return "\n".join(lines)


# --- the CLI reference ----------------------------------------------------------------------

def _subcommands(command: Any, ctx: Any) -> list[tuple[str, Any]]:
    """The visible subcommands, asked the way click asks (a lazily loading group too)."""
    if not hasattr(command, "list_commands"):
        return []
    found = [(name, command.get_command(ctx, name)) for name in command.list_commands(ctx)]
    return [(name, sub) for name, sub in found if sub is not None and not sub.hidden]


def _walk(command: Any, ctx: Any, path: list[str]) -> list[tuple[list[str], Any, Any]]:
    """(path, command, context) of ``command`` and every visible command below it."""
    found = [(path, command, ctx)]
    for name, sub in _subcommands(command, ctx):
        found += _walk(sub, sub.context_class(sub, info_name=name, parent=ctx), [*path, name])
    return found


def _command_section(path: list[str], command: Any, ctx: Any) -> list[str]:
    name = " ".join(path)
    lines = [f"## `{name}` {{ #{'-'.join(path)} }}", "", "```text",
             command.get_usage(ctx).strip(), "```", ""]
    if command.help:
        lines += ["```text", command.help.strip(), "```", ""]
    records = [p.get_help_record(ctx) for p in command.params]
    records = [r for r in records if r is not None]
    if records:
        lines += [f"- `{opts}`{': ' + doc_text(text) if text else ''}" for opts, text in records]
        lines.append("")
    subs = _subcommands(command, ctx)
    if subs:
        lines += [f"- [`{name} {n}`](#{'-'.join([*path, n])}): "
                  f"{doc_text(c.get_short_help_str(limit=200))}" for n, c in subs]
        lines.append("")
    return lines


def cli_reference() -> str:
    """The CLI page: every command's usage, help, arguments and options, from the app."""
    _use_this_checkout()
    import typer.main

    from dermforge.cli import app

    root = typer.main.get_command(app)
    lines = [
        "# CLI reference", "",
        "Generated from the `dermforge` command itself at docs build time: what "
        "`dermforge COMMAND --help` prints. Exit codes are the same for every command: "
        "0 success; 1 the thing checked is bad or the work failed; 2 a usage or input error "
        "(errors print `error: …` and `fix: …`).", "",
    ]
    context = root.context_class(root, info_name="dermforge")
    for path, command, ctx in _walk(root, context, ["dermforge"]):
        lines += _command_section(path, command, ctx)
    return "\n".join(lines)


# --- mkdocs events --------------------------------------------------------------------------

def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for uri, render in ((SCHEMA_PAGE, schema_reference), (CLI_PAGE, cli_reference)):
        files.append(File.generated(config, uri, content=render()))
    return files
