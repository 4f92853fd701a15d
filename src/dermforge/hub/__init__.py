"""Publishing a release folder to a Hugging Face dataset repository (or a compatible server).

``publish_release(folder, "org/name", "v1.0.0")`` verifies the release in full (the one
verifier of `dermforge verify`), refuses a tag that already exists, uploads the folder and
tags the commit. The endpoint comes from the argument or ``HF_ENDPOINT``; the token from
``HF_TOKEN`` (environment only).
"""

from ._errors import TOKEN_ENV, hub_token, scrub
from ._publish import DEFAULT_ENDPOINT, PublishResult, publish_release, resolve_endpoint
from ._release import TAG_PATTERN, Publishable, check_publishable, check_tag

__all__ = [
    "DEFAULT_ENDPOINT",
    "TAG_PATTERN",
    "TOKEN_ENV",
    "PublishResult",
    "Publishable",
    "check_publishable",
    "check_tag",
    "hub_token",
    "publish_release",
    "resolve_endpoint",
    "scrub",
]
