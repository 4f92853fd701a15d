"""Dataset cards: README.md (YAML header + prose), CHANGELOG.md and croissant.json of a release."""

from ._card import (
    HUB_URL,
    LICENSE_ID,
    REPO_ID_PATTERN,
    SIZE_CATEGORIES,
    SOURCE_CITATION,
    CardInput,
    release_bibtex,
    render_card,
    render_changelog,
    size_category,
)
from ._croissant import CROISSANT_CONFORMS_TO, croissant
from ._escape import md_text, plain_text
from ._facts import ConfigInfo, ReleaseFacts

__all__ = [
    "CROISSANT_CONFORMS_TO",
    "HUB_URL",
    "LICENSE_ID",
    "REPO_ID_PATTERN",
    "SIZE_CATEGORIES",
    "SOURCE_CITATION",
    "CardInput",
    "ConfigInfo",
    "ReleaseFacts",
    "croissant",
    "md_text",
    "plain_text",
    "release_bibtex",
    "render_card",
    "render_changelog",
    "size_category",
]
