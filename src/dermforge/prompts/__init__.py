"""The paper's prompt template and its vocabulary (records in: Seed; out: Prompt)."""

from ._params import (
    DEFAULT_CONDITION_PHRASES,
    DEFAULT_SKIN_TYPES,
    PAPER_TEMPLATE,
    PAPER_TEMPLATE_VERSION,
    PromptParams,
)
from ._template import SLOT_NAMES, SlotOverrides, check_template, render_prompt, render_prompts

__all__ = [
    "DEFAULT_CONDITION_PHRASES",
    "DEFAULT_SKIN_TYPES",
    "PAPER_TEMPLATE",
    "PAPER_TEMPLATE_VERSION",
    "SLOT_NAMES",
    "PromptParams",
    "SlotOverrides",
    "check_template",
    "render_prompt",
    "render_prompts",
]
