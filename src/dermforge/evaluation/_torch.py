"""The optional `eval` extra: torch and torchvision are imported only when an evaluation runs."""

from __future__ import annotations

import importlib

from ..errors import MissingExtraError

__all__ = ["require_torch"]


def require_torch() -> None:
    """Raise MissingExtraError (with the pip command) unless torch and torchvision import."""
    for module in ("torch", "torchvision"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingExtraError(module, "eval") from None
