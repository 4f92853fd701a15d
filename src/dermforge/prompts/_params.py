"""The `prompts` section of params.yaml: the template and its vocabulary."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from .._params import Params

__all__ = [
    "DEFAULT_CONDITION_PHRASES",
    "DEFAULT_SKIN_TYPES",
    "PAPER_TEMPLATE",
    "PAPER_TEMPLATE_VERSION",
    "PromptParams",
]

#: Sagers et al. §2.3: "An image of [skin condition] on the [body part] of a
#: [skin type description] [noun]."
PAPER_TEMPLATE = ("An image of {{ condition_phrase }} on the {{ body_part }} of a "
                  "{{ skin_type_description }} {{ noun }}.")
PAPER_TEMPLATE_VERSION = "sagers2022-v1"

#: Condition label (as the CSV spells it) → the phrase in the prompt.
DEFAULT_CONDITION_PHRASES: dict[str, str] = {
    "basal cell carcinoma": "basal cell carcinoma",
    "folliculitis": "folliculitis",
    "nematode infection": "a nematode infection",
    "neutrophilic dermatoses": "a neutrophilic dermatosis",
    "prurigo nodularis": "prurigo nodularis",
    "psoriasis": "psoriasis",
    "squamous cell carcinoma": "squamous cell carcinoma",
}

#: Fitzpatrick skin type → the skin type description (the paper's Supplementary Table 2,
#: which lists the exact prompts, is not public; these follow the Fitzpatrick scale's own
#: descriptions and can be replaced in params.yaml).
DEFAULT_SKIN_TYPES: dict[int, str] = {
    1: "very fair-skinned",
    2: "fair-skinned",
    3: "light brown-skinned",
    4: "moderately brown-skinned",
    5: "dark brown-skinned",
    6: "deeply pigmented dark-skinned",
}


class PromptParams(Params):
    """Template and vocabulary. A mapping given in params.yaml replaces the default one."""

    template: str = Field(default=PAPER_TEMPLATE, min_length=1,
                          description="jinja2 text using condition_phrase, body_part, "
                          "skin_type_description and noun")
    template_version: str = Field(default=PAPER_TEMPLATE_VERSION, min_length=1,
                                  description="recorded in every Prompt; change it with the "
                                  "template")
    conditions: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CONDITION_PHRASES),
                                       description="condition label → phrase")
    skin_types: dict[int, str] = Field(default_factory=lambda: dict(DEFAULT_SKIN_TYPES),
                                       description="Fitzpatrick type 1-6 → description")
    body_part: str = Field(default="skin", description="when the seed annotation gives none")
    noun: str = Field(default="person", description="when the seed annotation gives none")

    @model_validator(mode="after")
    def _versioned(self) -> Self:
        if self.template != PAPER_TEMPLATE and self.template_version == PAPER_TEMPLATE_VERSION:
            raise ValueError(
                f"the template differs from the paper's but template_version is still "
                f"{PAPER_TEMPLATE_VERSION!r}; give the new template its own version"
            )
        unknown = sorted(k for k in self.skin_types if not 1 <= k <= 6)
        if unknown:
            raise ValueError(f"skin_types keys must be Fitzpatrick types 1..6, got {unknown}")
        return self
