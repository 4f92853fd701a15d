"""dermforge: build, version and validate synthetic dermatology datasets with provenance.

The public API is listed once, here, in ``__all__``; everything else is an implementation
detail (underscore modules) and may change without notice.
"""

from importlib.metadata import PackageNotFoundError, version

from ._paper import AUGMENTED_CONDITIONS, PAPER_CONDITIONS, PAPER_TABLE1
from .errors import (
    DermforgeError,
    InputError,
    IntegrityError,
    MissingExtraError,
    MissingInputError,
    RecordError,
    ReleaseError,
    ServiceError,
)
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

try:
    __version__ = version("dermforge")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

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
    "InputError",
    "IntegrityError",
    "Manifest",
    "Mask",
    "MissingExtraError",
    "MissingInputError",
    "Prompt",
    "PromptSlots",
    "RecordError",
    "Release",
    "ReleaseError",
    "ReleaseRow",
    "SamplingSpec",
    "Seed",
    "ServiceError",
    "SourceImage",
    "SplitMembership",
    "Workspace",
    "__version__",
    "import_folder",
    "load_catalog",
    "table1",
]
