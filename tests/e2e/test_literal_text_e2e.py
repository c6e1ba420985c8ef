"""Text members write is shown literally on the bot's messages: no disguised links, mentions or markup.

A prompt such as ``[Download HD](https://evil.example)`` must not become a clickable link on the
bot's own card, and ``@everyone`` or ``<@id>`` must not render as mentions.
"""

from __future__ import annotations

import dataclasses
import json
import re

from bot.models import JobStatus
from tests.e2e.harness import World, card_parts

ZWSP = "\u200b"
MASKED_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")
RAW_MENTION = re.compile(r"<@[!&]?\d|<#\d|@everyone|@here")


def as_discord_shows(text: str) -> str:
    """What a reader sees: Discord drops a backslash before punctuation; a zero-width space is invisible."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", text).replace(ZWSP, "")


def hostile_prompt(world: World) -> str:
    # No "://": a prompt with a URL is refused outright (issue 11, see bad_inputs.PROMPT_FLAGS).
    bob = world.discord.bob.id
    return (
        f"# Heading [Download HD](evil.example/hd) see evil.example/x @everyone <@{bob}> "
        "**bold** ||spoiler|| > quote `code`"
    )


def assert_literal(rendered: str, typed: str) -> None:
    """``rendered`` (Discord markup) shows ``typed`` as plain text and can render nothing else."""
    assert "://" not in rendered
    assert not MASKED_LINK.search(rendered)
    assert not RAW_MENTION.search(rendered)
    assert as_discord_shows(rendered) == typed


async def test_a_prompt_with_links_mentions_and_markdown_is_shown_literally(world: World) -> None:
    """Every revision of the card shows the prompt as typed; the provider gets it unchanged."""
    prompt = hostile_prompt(world)
    requester = f"<@{world.discord.alice.id}>"
    handle = await world.animate(prompt=prompt)
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and len(m.files) == 4)
    job = await world.wait_delivered(int(card.custom_ids[0].split(":")[2]))

    assert job.prompt == prompt
    assert world.comet.submissions[-1]["prompt"].startswith(prompt)
    for revision in card.history:
        if revision.components:
            assert_literal(card_parts(revision).fields["Prompt"], prompt)
            # The card's text but the delivered line, as Discord received it: the requester's
            # mention is the bot's own.
            shown = dataclasses.asdict(card_parts(revision)) | {"ready": ""}
            payload = json.dumps(shown, ensure_ascii=False)
            assert "://" not in payload and not MASKED_LINK.search(payload)
            assert re.findall(r"<@[!&]?\d+>|<#\d+>|@everyone|@here", payload) == [requester]


async def test_a_provider_reason_quoting_hostile_text_is_shown_literally(world: World) -> None:
    """A moderation reason that quotes a link and a mention shows on the failure card as plain text."""
    reason = "banned: [free nitro](https://evil.example) @here"
    world.comet.moderate_submits("nitro", reason=reason)
    handle = await world.animate(prompt="free nitro")
    await handle.wait_response()
    failed = await world.wait_job(lambda j: j.status is JobStatus.FAILED and j.final_shown_at is not None)

    card = world.discord.state.messages[failed.card_message_id]
    description = card_parts(card).state
    assert "://" not in description and not MASKED_LINK.search(description)
    assert not RAW_MENTION.search(description)
    assert "[free nitro](https" in as_discord_shows(description)


async def test_a_content_type_carrying_markup_is_refused_literally(world: World) -> None:
    """The refusal names the file's declared type, shown as plain text."""
    content_type = "text/[x](https://evil.example)@everyone"
    handle = await world.animate(image=b"not an image", content_type=content_type, filename="upload")
    response = await handle.wait_response()

    content = response.data["content"]
    assert handle.ephemeral and "files aren't supported" in content
    assert "://" not in content and not MASKED_LINK.search(content)
    assert not RAW_MENTION.search(content)
    assert content_type in as_discord_shows(content)
