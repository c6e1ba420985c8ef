"""The bad-input catalogue, end to end: each input gets a clear private refusal and changes nothing.

Every case of ``BAD_INPUTS`` runs in a fresh world (both doubles and the real bot); see
``bad_input_replay`` for what is checked. Two more tests pin down inputs that look bad but are not.
"""

import pytest

from bot.i18n import Lang
from bot.intake import DEFAULT_PROMPT
from tests.e2e.harness import card_parts, make_world
from tests.reliability.bad_input_replay import replay, says
from tests.reliability.bad_inputs import BAD_INPUTS, CAT, BadInput

ACTION_KINDS = {"Animate", "Command", "ContextMenu", "React", "Click", "FormUpload", "StaleForm"}


def test_the_catalogue_covers_at_least_forty_inputs_of_every_kind():
    """At least 40 uniquely named cases, every entry point represented, some in Vietnamese."""
    names = [case.name for case in BAD_INPUTS]
    assert len(names) >= 40 and len(set(names)) == len(names)
    assert {type(case.action).__name__ for case in BAD_INPUTS} == ACTION_KINDS
    assert sum(case.locale == "vi" for case in BAD_INPUTS) >= 5


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.name)
async def test_bad_input_is_refused_privately_without_side_effects(case: BadInput, tmp_path):
    """The member sees the expected message privately, in their language; nothing else happens."""
    verdict = await replay(case, tmp_path)

    assert verdict.problems == [], verdict.answer


async def test_a_prompt_of_only_control_characters_is_not_refused_but_uses_the_default(tmp_path):
    """Control characters are stripped; an empty result means "no prompt", so the default is sent."""
    async with make_world(tmp_path) as world:
        handle = await world.animate(image=CAT[1], prompt="\x00\x07\u200b\x1b\u202e")
        response = await handle.wait_response()
        assert response.type == 4 and not handle.ephemeral

        card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 4)
        job = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))

    assert job.prompt == DEFAULT_PROMPT
    assert world.comet.submissions[-1]["prompt"] == DEFAULT_PROMPT
    assert card_parts(card).fields["Prompt"] == DEFAULT_PROMPT


async def test_the_same_refusal_reads_differently_in_english_and_vietnamese(tmp_path):
    """The matcher used by the catalogue tells the two languages apart (so the vi cases can fail)."""
    async with make_world(tmp_path) as world:
        english = await world.animate(image=b"", filename="empty.png")
        vietnamese = await world.animate(image=b"", filename="empty.png", locale="vi")
        texts = [(await h.wait_response()).data["content"] for h in (english, vietnamese)]
        catalogue = world.bot.services.catalogue

    assert says(catalogue.template(Lang.EN, "image.empty"), texts[0])
    assert says(catalogue.template(Lang.VI, "image.empty"), texts[1])
    assert not says(catalogue.template(Lang.EN, "image.empty"), texts[1])
    assert not says(catalogue.template(Lang.EN, "image.too_small"), texts[0])
