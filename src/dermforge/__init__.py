"""dermforge: build, version and validate synthetic dermatology datasets with provenance.

The public API is listed once, here, in ``__all__``, with the stage functions in
``dermforge.pipeline.__all__``; everything else is an implementation detail (underscore
modules) and may change without notice.

The names are loaded on first use (module ``__getattr__``), so ``import dermforge`` — and the
command line's ``--help`` — does not load pydantic, pandas or ``datasets`` until a name that
needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    DermforgeError,
    ImageError,
    InputError,
    IntegrityError,
    MissingExtraError,
    MissingInputError,
    NotAReleaseError,
    RecordError,
    RefusedFileError,
    ReleaseError,
    ServiceError,
    StorageError,
)

if TYPE_CHECKING:
    from ._paper import AUGMENTED_CONDITIONS, PAPER_CONDITIONS, PAPER_TABLE1
    from .schemas import (
        Candidate,
        Crop,
        CropBox,
        CurationVerdict,
        DownloadFailure,
        GenerationFailure,
        GenerationRequest,
        Mask,
        Prompt,
        PromptSlots,
        Release,
        ReleaseRow,
        SamplingSpec,
        Seed,
        SourceImage,
        SplitMembership,
    )
    from .sources import Catalog, import_folder, load_catalog, table1
    from .store import BlobStore, Manifest, Workspace

    __version__: str

#: where each lazily loaded public name lives
_LAZY: dict[str, str] = {
    **dict.fromkeys(("AUGMENTED_CONDITIONS", "PAPER_CONDITIONS", "PAPER_TABLE1"), "._paper"),
    **dict.fromkeys((
        "Candidate", "Crop", "CropBox", "CurationVerdict", "DownloadFailure",
        "GenerationFailure", "GenerationRequest", "Mask", "Prompt", "PromptSlots", "Release",
        "ReleaseRow", "SamplingSpec", "Seed", "SourceImage", "SplitMembership"), ".schemas"),
    **dict.fromkeys(("Catalog", "import_folder", "load_catalog", "table1"), ".sources"),
    **dict.fromkeys(("BlobStore", "Manifest", "Workspace"), ".store"),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dermforge")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    """Load a public name on first use and keep it in the module."""
    if name == "__version__":
        value: Any = _version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module 'dermforge' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AUGMENTED_CONDITIONS",
    "PAPER_CONDITIONS",
    "PAPER_TABLE1",
    "BlobStore",
    "Candidate",
    "Catalog",
    "Crop",
    "CropBox",
    "CurationVerdict",
    "DermforgeError",
    "DownloadFailure",
    "GenerationFailure",
    "GenerationRequest",
    "ImageError",
    "InputError",
    "IntegrityError",
    "Manifest",
    "Mask",
    "MissingExtraError",
    "MissingInputError",
    "NotAReleaseError",
    "Prompt",
    "PromptSlots",
    "RecordError",
    "RefusedFileError",
    "Release",
    "ReleaseError",
    "ReleaseRow",
    "SamplingSpec",
    "Seed",
    "ServiceError",
    "SourceImage",
    "SplitMembership",
    "StorageError",
    "Workspace",
    "__version__",
    "import_folder",
    "load_catalog",
    "table1",
]
