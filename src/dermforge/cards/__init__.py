"""Dataset cards: README.md (YAML header + prose), CHANGELOG.md and croissant.json of a release."""

from ._card import LICENSE_ID, SOURCE_CITATION, CardInput, render_card, render_changelog
from ._croissant import CROISSANT_CONFORMS_TO, croissant
from ._escape import md_text, plain_text
from ._facts import ConfigInfo, ReleaseFacts

__all__ = [
    "CROISSANT_CONFORMS_TO",
    "LICENSE_ID",
    "SOURCE_CITATION",
    "CardInput",
    "ConfigInfo",
    "ReleaseFacts",
    "croissant",
    "md_text",
    "plain_text",
    "render_card",
    "render_changelog",
]
