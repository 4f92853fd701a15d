"""Render the prompt of each seed from the template and the vocabulary."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jinja2
import jinja2.meta

from ..errors import InputError
from ..schemas import Prompt, PromptSlots, Seed
from ._params import PromptParams

__all__ = ["SLOT_NAMES", "SlotOverrides", "check_template", "render_prompt", "render_prompts"]

SLOT_NAMES: tuple[str, ...] = tuple(PromptSlots.model_fields)

# Plain text, never HTML: nothing to escape.
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SlotOverrides:
    """Per-seed slot values from the annotations file (None: use the params default)."""

    body_part: str | None = None
    noun: str | None = None


def check_template(template: str) -> jinja2.Template:
    """Compile the template; unknown variables or bad syntax raise naming prompts.template."""
    try:
        parsed = _ENV.parse(template)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"prompts.template is not a valid template: {exc.message} "
                         f"(in {template!r})", fix="correct prompts.template") from None
    unknown = sorted(jinja2.meta.find_undeclared_variables(parsed) - set(SLOT_NAMES))
    if unknown:
        raise InputError(f"prompts.template uses unknown slot(s) {unknown} in {template!r}",
                         fix=f"use only the slots {list(SLOT_NAMES)}")
    return _ENV.from_string(template)


def _slot(seed: Seed, field: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise InputError(
            f"seed {seed.source_id} ({seed.condition}, FST {seed.fitzpatrick}): the prompt slot "
            f"{field} is missing or empty (got {value!r})",
            fix=f"set {field} in params.yaml (or the seed's row of the annotations file)",
        )
    return _SPACES.sub(" ", value.strip())


def render_prompt(
    seed: Seed,
    params: PromptParams,
    overrides: SlotOverrides | None = None,
    template: jinja2.Template | None = None,
) -> Prompt:
    """The seed's Prompt record. A missing or empty slot raises naming the seed and field."""
    overrides = overrides or SlotOverrides()
    slots = PromptSlots(
        condition_phrase=_slot(seed, f"prompts.conditions[{seed.condition!r}]",
                               params.conditions.get(seed.condition)),
        body_part=_slot(seed, "body_part (prompts.body_part)",
                        overrides.body_part if overrides.body_part is not None
                        else params.body_part),
        skin_type_description=_slot(seed, f"prompts.skin_types[{seed.fitzpatrick}]",
                                    params.skin_types.get(seed.fitzpatrick)),
        noun=_slot(seed, "noun (prompts.noun)",
                   overrides.noun if overrides.noun is not None else params.noun),
    )
    compiled = template or check_template(params.template)
    text = _SPACES.sub(" ", compiled.render(**slots.model_dump())).strip()
    if not text:
        raise InputError(f"seed {seed.source_id}: prompts.template renders to an empty text",
                         fix="correct prompts.template")
    return Prompt(source_id=seed.source_id, template_version=params.template_version,
                  template=params.template, slots=slots, text=text)


def render_prompts(
    seeds: Sequence[Seed],
    params: PromptParams,
    overrides: Mapping[str, SlotOverrides] | None = None,
) -> list[Prompt]:
    """One Prompt per seed, in seed order."""
    template = check_template(params.template)
    return [render_prompt(seed, params, (overrides or {}).get(seed.source_id), template)
            for seed in seeds]
