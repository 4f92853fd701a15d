"""params.yaml: one section per stage, each validated by that stage's own Pydantic model.

DVC tracks the file; ``--params FILE`` points at another one. Without a file, the model's
defaults apply. A bad value is reported with the file, the section and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from .errors import InputError, RecordError
from .schemas import sha256_of_canonical
from .store import format_validation_error

__all__ = ["DEFAULT_PARAMS_FILE", "Params", "load_section", "params_sha256", "read_params_file"]

DEFAULT_PARAMS_FILE = Path("params.yaml")


class Params(pydantic.BaseModel):
    """Base of every stage's parameter section: unknown keys are errors (typos show)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=Params)


def read_params_file(path: Path | None) -> tuple[dict[str, Any], str]:
    """(parsed YAML mapping, origin) — ``path`` None means ./params.yaml if it exists."""
    if path is None:
        if not DEFAULT_PARAMS_FILE.is_file():
            return {}, "built-in defaults"
        path = DEFAULT_PARAMS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"params file {str(path)!r} does not exist",
            fix="pass an existing YAML file to --params, or omit it to use ./params.yaml",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"params file {str(path)!r} is not valid YAML: {exc}",
                         fix="correct the YAML syntax at the position shown") from None
    if data is None:
        return {}, str(path)
    if not isinstance(data, dict):
        raise InputError(f"params file {str(path)!r} must hold a mapping of sections, "
                         f"got {type(data).__name__}", fix="use `section: {key: value}` form")
    return data, str(path)


def load_section(
    path: Path | None,
    section: str,
    model: type[P],
    overrides: dict[str, Any] | None = None,
) -> P:
    """Validate ``section`` of the params file (plus non-None ``overrides``) with ``model``."""
    data, origin = read_params_file(path)
    raw = data.get(section) or {}
    if not isinstance(raw, dict):
        raise RecordError(path=origin, line=None, field=section,
                          reason=f"must be a mapping, got {raw!r}",
                          fix=f"write `{section}:` followed by indented `key: value` lines")
    merged = {**raw, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    try:
        return model.model_validate(merged)
    except pydantic.ValidationError as exc:
        field, reason = format_validation_error(exc)
        raise RecordError(
            path=origin, line=None, field=f"{section}.{field}" if field else section,
            reason=reason, fix=f"correct {section}.{field or ''} in {origin} (or the option)",
        ) from None


def params_sha256(params: pydantic.BaseModel) -> str:
    return sha256_of_canonical(params.model_dump(mode="json"))
