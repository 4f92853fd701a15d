"""Generator backends behind one protocol, in a registry: openai, classic, diffusers, import."""

from ._classic import CLASSIC_MODEL, ClassicBackend
from ._diffusers import DiffusersBackend, seed_for, to_diffusers_mask
from ._import import IMPORT_COLUMNS, ImportBackend, ImportItem, read_import_source
from ._openai import DEFAULT_MODEL, RETIRED_MODELS, OpenAIBackend, check_model
from ._pricing import (
    IMAGE_PRICES,
    PRICES_CHECKED,
    TOKEN_RATES,
    ImagePrice,
    TokenRates,
    cost_from_usage,
    image_price,
)
from ._protocol import (
    Backend,
    FailureKind,
    GeneratedImage,
    GenerationError,
    GenerationResult,
    RequestInputs,
    SeedInputs,
    image_format_and_size,
    require_prepared,
)
from ._registry import BACKEND_SUMMARIES, create_backend, list_backends
from ._weights import WeightsIdentity, identify_weights

__all__ = [
    "BACKEND_SUMMARIES",
    "CLASSIC_MODEL",
    "DEFAULT_MODEL",
    "IMAGE_PRICES",
    "IMPORT_COLUMNS",
    "PRICES_CHECKED",
    "RETIRED_MODELS",
    "TOKEN_RATES",
    "Backend",
    "ClassicBackend",
    "DiffusersBackend",
    "FailureKind",
    "GeneratedImage",
    "GenerationError",
    "GenerationResult",
    "ImagePrice",
    "ImportBackend",
    "ImportItem",
    "OpenAIBackend",
    "RequestInputs",
    "SeedInputs",
    "TokenRates",
    "WeightsIdentity",
    "check_model",
    "cost_from_usage",
    "create_backend",
    "identify_weights",
    "image_format_and_size",
    "image_price",
    "list_backends",
    "read_import_source",
    "require_prepared",
    "seed_for",
    "to_diffusers_mask",
]
