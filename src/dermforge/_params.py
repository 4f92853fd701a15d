"""params.yaml: one section per stage, each validated by that stage's own Pydantic model.

DVC tracks the file; ``--params FILE`` points at another one. Without a file, the model's
defaults apply. The file is strict:

- it must be UTF-8 (else the error names the file and the byte offset);
- every top-level key must be one of :data:`SECTIONS` (a misspelt ``seed:`` is an error with
  "did you mean 'seeds'?", never silently ignored while the defaults run);
- inside a section, unknown keys are errors, and values are taken with **strict types**: no
  bool for a number (``n_per_group: true`` is refused, not read as 1), no string for a number
  or a bool (``n: "8"``, ``jitter: "yes"``); a YAML list is fine where a tuple is expected.

A bad value is reported with the file, the section and the field (exit code 2).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Final, TypeVar

import pydantic
import yaml

from ._text import decode_utf8
from .errors import InputError, RecordError
from .schemas import sha256_of_canonical
from .store import format_validation_error

__all__ = ["DEFAULT_PARAMS_FILE", "SECTIONS", "Params", "load_section", "params_sha256",
           "read_params_file", "yaml_tuples"]

DEFAULT_PARAMS_FILE = Path("params.yaml")

#: every top-level section of params.yaml (``release`` is read by dvc.yaml only)
SECTIONS: Final = ("release", "curate", "build", "seeds", "splits", "prepare", "prompts",
                   "signals", "generate", "evaluate")


class Params(pydantic.BaseModel):
    """Base of every stage's parameter section: unknown keys are errors (typos show)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=Params)


def read_params_file(path: Path | None) -> tuple[dict[str, Any], str]:
    """(parsed YAML mapping, origin) — ``path`` None means ./params.yaml if it exists.

    Raises InputError for a file that is missing, not UTF-8, not YAML, not a mapping, or
    that has a top-level key outside :data:`SECTIONS`.
    """
    if path is None:
        if not DEFAULT_PARAMS_FILE.is_file():
            return {}, "built-in defaults"
        path = DEFAULT_PARAMS_FILE
    try:
        data = yaml.safe_load(decode_utf8(path.read_bytes(), str(path), "params file"))
    except FileNotFoundError:
        raise InputError(
            f"params file {str(path)!r} does not exist",
            fix="pass an existing YAML file to --params, or omit it to use ./params.yaml",
        ) from None
    except IsADirectoryError:
        raise InputError(f"params file {str(path)!r} is a folder, not a file",
                         fix="pass the YAML file itself to --params") from None
    except yaml.YAMLError as exc:
        raise InputError(f"params file {str(path)!r} is not valid YAML: {exc}",
                         fix="correct the YAML syntax at the position shown") from None
    if data is None:
        return {}, str(path)
    if not isinstance(data, dict):
        raise InputError(f"params file {str(path)!r} must hold a mapping of sections, "
                         f"got {type(data).__name__}", fix="use `section: {key: value}` form")
    _check_sections(data, str(path))
    return data, str(path)


def _check_sections(data: dict[Any, Any], origin: str) -> None:
    for key in data:
        if key in SECTIONS:
            continue
        close = difflib.get_close_matches(str(key), SECTIONS, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"params file {origin!r}: unknown section {str(key)!r}{hint} (its settings would "
            "be ignored and the defaults used)",
            fix=f"rename it to one of: {', '.join(SECTIONS)}")


def load_section(
    path: Path | None,
    section: str,
    model: type[P],
    overrides: dict[str, Any] | None = None,
) -> P:
    """Validate ``section`` of the params file (plus non-None ``overrides``) with ``model``,
    in strict mode (see the module docstring)."""
    data, origin = read_params_file(path)
    raw = data.get(section) or {}
    if not isinstance(raw, dict):
        raise RecordError(path=origin, line=None, field=section,
                          reason=f"must be a mapping, got {raw!r}",
                          fix=f"write `{section}:` followed by indented `key: value` lines")
    _check_keys(raw, section, model, origin)
    merged = {**raw, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    try:
        return model.model_validate(yaml_tuples(merged), strict=True)
    except pydantic.ValidationError as exc:
        field, reason = format_validation_error(exc)
        raise RecordError(
            path=origin, line=None, field=f"{section}.{field}" if field else section,
            reason=reason + _strict_hint(exc),
            fix=f"correct {section}.{field or ''} in {origin} (or the option)",
        ) from None


#: keys renamed so that a rate carries its unit: (section, old key) → new key
RENAMED_KEYS: Final[dict[tuple[str, str], str]] = {
    ("generate", "rate_limit"): "images_per_minute",
}


def _check_keys(raw: dict[Any, Any], section: str, model: type[P], origin: str) -> None:
    """An unknown key of ``section``: an error saying what it was renamed to, or the closest
    known key (did you mean …?)."""
    known = [*model.model_fields, *(f.alias for f in model.model_fields.values() if f.alias)]
    for key in raw:
        if key in known:
            continue
        renamed = RENAMED_KEYS.get((section, str(key)))
        close = [renamed] if renamed else difflib.get_close_matches(str(key), known, n=1,
                                                                    cutoff=0.6)
        hint = (f"; it was renamed {renamed!r}" if renamed
                else f"; did you mean {close[0]!r}?" if close else "")
        raise RecordError(
            path=origin, line=None, field=f"{section}.{key}",
            reason=f"unknown key {str(key)!r}{hint}",
            fix=f"rename it to {close[0]!r}" if close
            else f"use one of: {', '.join(known)}")


def _strict_hint(exc: pydantic.ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    value, kind = first.get("input"), first["type"]
    if isinstance(value, bool) and kind in ("int_type", "float_type"):
        return "; true/false is a yes/no value, not a number (strict types)"
    if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
        return "; a quoted string is not read as a number or yes/no (strict types)"
    return ""


def yaml_tuples(value: Any) -> Any:
    """``value`` with every list turned into a tuple, at any depth: a YAML list stands for a
    tuple field under strict validation (which otherwise takes no list for a tuple)."""
    if isinstance(value, list | tuple):
        return tuple(yaml_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: yaml_tuples(v) for k, v in value.items()}
    return value


def params_sha256(params: pydantic.BaseModel) -> str:
    return sha256_of_canonical(params.model_dump(mode="json"))
