"""The registry of generator backends: ``list_backends()`` and ``create_backend(name, ...)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InputError
from ._classic import ClassicBackend
from ._diffusers import DiffusersBackend
from ._import import ImportBackend
from ._openai import OpenAIBackend
from ._protocol import Backend

__all__ = ["BACKEND_SUMMARIES", "create_backend", "list_backends"]

_FACTORIES: dict[str, Callable[..., Backend]] = {
    "classic": ClassicBackend,
    "diffusers": DiffusersBackend,
    "import": ImportBackend,
    "openai": OpenAIBackend,
}

#: one line per backend, for help texts
BACKEND_SUMMARIES: dict[str, str] = {
    "classic": "offline, deterministic: biharmonic inpainting + texture + jitter (free)",
    "diffusers": "open-weights masked inpainting with a diffusers pipeline (--model "
                 "PATH_OR_ID; dermforge[diffusers]; GPU if present)",
    "import": "adopt images made elsewhere, from a folder with .json sidecars or a CSV",
    "openai": "OpenAI image edits with a mask (gpt-image-2 by default; paid)",
}


def list_backends() -> list[str]:
    """Names accepted by :func:`create_backend`, sorted."""
    return sorted(_FACTORIES)


def create_backend(name: str, **options: Any) -> Backend:
    """A backend by name, configured with its keyword ``options``.

    Unknown names and options are InputErrors naming what is accepted.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise InputError(f"unknown generator backend {name!r}",
                         fix=f"use one of: {', '.join(list_backends())}")
    try:
        return factory(**options)
    except TypeError as exc:
        raise InputError(f"backend {name!r} does not accept these options "
                         f"{sorted(options)}: {exc}",
                         fix="see `dermforge generate --help` for each backend's options") from None
