"""dermforge: build, version and validate synthetic dermatology datasets with provenance.

The public API is listed once, here, in ``__all__``, with the stage functions in
``dermforge.pipeline.__all__``; everything else is an implementation detail (underscore
modules) and may change without notice.
"""

from importlib.metadata import PackageNotFoundError, version

from ._paper import AUGMENTED_CONDITIONS, PAPER_CONDITIONS, PAPER_TABLE1
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
