"""The provider gets exactly the folded, checked prompt (issue 18, item 6), end to end.

The refusals of disguised flags and links are in the bad-input catalogue (``bad_inputs_unicode``); here
an accepted prompt full of compatibility forms and dashes is folded, its disguised ``--raw`` read as the
raw option, and the words stored, shown and sent are the folded ones: for /animate and for Extend with
a prompt.
"""

from __future__ import annotations

from bot.models import JobStatus
from tests.e2e.harness import World, card_parts
from tests.e2e.test_extend_e2e import has_clips

TYPED = "Một con mèo ｆｕｌｌｗｉｄｔｈ — đang ngủ, 1990–2000, x‐ray −−raw"
FOLDED = "Một con mèo fullwidth - đang ngủ, 1990-2000, x-ray"


async def test_the_provider_gets_the_folded_words_and_the_disguised_flag_as_the_option(world: World):
    handle = await world.animate(prompt=TYPED, locale="vi")
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    job = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))

    assert (job.prompt, job.raw) == (FOLDED, True)
    assert world.comet.submissions[-1]["prompt"] == f"{FOLDED} --raw"
    assert world.comet.tasks[job.provider_task_id or ""].prompt == f"{FOLDED} --raw"
    assert card_parts(card).fields["Mô tả"].replace("\\", "") == FOLDED  # shown literally (escaped)


async def test_an_extension_prompt_is_folded_too(world: World):
    discord = world.discord
    handle = await world.animate(prompt="a cat")
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    parent = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))

    opened = await discord.click(discord.alice, card, f"mb:p:{parent.id}:0")
    await opened.wait_response()
    submitted = await discord.submit_modal(discord.alice, opened, {"prompt": "the cat — ｊｕｍｐｓ"})
    await submitted.wait_response()
    child = await world.wait_job(lambda j: j.parent_job_id == parent.id and j.status is JobStatus.DELIVERED)

    assert child.prompt == "the cat - jumps"
    assert world.comet.submissions[-1]["prompt"] == "the cat - jumps"
