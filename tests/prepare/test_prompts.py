"""The paper's prompt template; a missing slot is an error naming the seed and field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dermforge.errors import InputError
from dermforge.prompts import (
    PAPER_TEMPLATE,
    PAPER_TEMPLATE_VERSION,
    PromptParams,
    SlotOverrides,
    render_prompt,
    render_prompts,
)
from dermforge.schemas import SamplingSpec, Seed

SID = "0123456789abcdef0123456789abcdef"


def seed(condition: str = "psoriasis", fitzpatrick: int = 5) -> Seed:
    group = {1: "I-II", 2: "I-II", 3: "III-IV", 4: "III-IV", 5: "V-VI", 6: "V-VI"}[fitzpatrick]
    spec = SamplingSpec(method="sha256-rank", rng_seed=1, n_per_group=8, condition=condition,
                        group=group, pool="csv", pool_size=20,  # type: ignore[arg-type]
                        params_sha256="0" * 64)
    return Seed(source_id=SID, dataset="fitzpatrick17k", condition=condition,
                fitzpatrick=fitzpatrick, group=group, rank=0, sampling=spec)  # type: ignore[arg-type]


def test_the_papers_template() -> None:
    prompt = render_prompt(seed(), PromptParams())
    assert prompt.text == "An image of psoriasis on the skin of a dark brown-skinned person."
    assert prompt.template == PAPER_TEMPLATE and prompt.template_version == PAPER_TEMPLATE_VERSION
    assert prompt.slots.skin_type_description == "dark brown-skinned"
    assert PAPER_TEMPLATE.startswith("An image of {{ condition_phrase }} on the {{ body_part }} "
                                     "of a {{ skin_type_description }} {{ noun }}.")


def test_annotation_overrides_body_part_and_noun() -> None:
    prompts = render_prompts([seed(fitzpatrick=1)], PromptParams(),
                             {SID: SlotOverrides(body_part="left  forearm", noun="woman")})
    assert prompts[0].text == ("An image of psoriasis on the left forearm of a very fair-skinned "
                               "woman.")


def test_missing_condition_phrase_names_seed_and_field() -> None:
    with pytest.raises(InputError) as caught:
        render_prompt(seed(condition="acne"), PromptParams())
    assert f"seed {SID} (acne, FST 5): the prompt slot prompts.conditions['acne'] is missing" \
        in str(caught.value)


def test_missing_skin_type_and_empty_noun() -> None:
    params = PromptParams(skin_types={1: "light-skinned"})
    with pytest.raises(InputError, match=r"prompt slot prompts.skin_types\[5\] is missing"):
        render_prompt(seed(), params)
    with pytest.raises(InputError, match=r"prompt slot noun \(prompts.noun\) is missing or empty "
                       r"\(got '  '\)"):
        render_prompt(seed(), PromptParams(noun="  "))


def test_custom_template_needs_its_own_version_and_known_slots() -> None:
    with pytest.raises(ValidationError, match="give the new template its own version"):
        PromptParams(template="{{ condition_phrase }} on {{ noun }}")
    custom = PromptParams(template="Photo: {{ condition_phrase }}, {{ noun }}.",
                          template_version="mine-1")
    assert render_prompt(seed(), custom).text == "Photo: psoriasis, person."
    bad = PromptParams(template="{{ condition }} x", template_version="mine-2")
    with pytest.raises(InputError, match=r"unknown slot\(s\) \['condition'\]"):
        render_prompt(seed(), bad)
    broken = PromptParams(template="{{ noun ", template_version="mine-3")
    with pytest.raises(InputError, match="not a valid template"):
        render_prompt(seed(), broken)


def test_skin_type_keys_are_fitzpatrick_types() -> None:
    with pytest.raises(ValidationError, match=r"1..6, got \[7\]"):
        PromptParams(skin_types={7: "x"})
