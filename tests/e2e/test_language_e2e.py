"""Vietnamese end to end: every kind of answer in the user's language, and localized commands."""

from bot.i18n import Lang, catalogue
from bot.models import JobSource
from tests.doubles.discord import everyone
from tests.doubles.media import png_bytes
from tests.e2e.harness import card_parts, final_answer

VI = "vi"
MESSAGE_COMMAND = 3


def vi(key: str, **params: object) -> str:
    """The Vietnamese text of a key, checked to differ from the English one."""
    text = catalogue().text(Lang.VI, key, **params)
    assert text != catalogue().text(Lang.EN, key, **params), f"{key} is not translated"
    return text


def has_clips(message) -> bool:
    return len(message.files) == 4


async def private_answer(handle):
    """Return the private message the bot answered an interaction with."""
    await handle.wait_response()
    assert handle.ephemeral
    return await handle.wait_original()


async def test_refusals_are_vietnamese(world):
    """An image refusal and a "not your job" click answer in Vietnamese."""
    bad = await world.animate(image=png_bytes(width=16, height=16), locale=VI)
    response = await bad.wait_response()
    assert response.data["content"] == vi("image.too_small", width=16, height=16, min_side=64)

    handle = await world.animate()
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))
    click = await world.discord.click(world.discord.bob, card, card.custom_ids[0], locale=VI)
    assert (await click.wait_response()).data["content"] == vi("error.not_your_job")


async def test_job_card_and_buttons_are_vietnamese(world):
    """A Vietnamese member's card, delivery line and Extend buttons are in Vietnamese."""
    handle = await world.animate(locale=VI, motion="high")
    await handle.wait_response()
    card = await world.wait_card(lambda m: m.id == handle.original_message_id and has_clips(m))

    parts = card_parts(card)
    assert parts.ready == vi("delivery.ready", requester=f"<@{world.discord.alice.id}>")
    assert parts.state == vi("card.state.delivered", count=4)
    assert parts.fields[vi("card.motion")] == vi("motion.high")
    labels = [c["label"] for c in card.iter_components() if c.get("type") == 2]
    assert vi("button.extend_low", clip=1) in labels and vi("button.extend_high", clip=4) in labels
    job = await world.wait_job(lambda j: j.card_message_id == card.id)
    assert job.locale == VI


async def test_jobs_and_quota_are_vietnamese(world):
    """/jobs and /quota answer in Vietnamese."""
    jobs = await private_answer(await world.discord.slash(world.discord.alice, "jobs", locale=VI))
    assert jobs.embeds[0]["title"] == vi("jobs.title")
    assert jobs.embeds[0]["description"] == vi("jobs.empty")
    assert jobs.embeds[0]["footer"]["text"] == vi("jobs.page", page=1, pages=1)

    quota = await private_answer(await world.discord.slash(world.discord.alice, "quota", locale=VI))
    lines = quota.embeds[0]["description"].splitlines()
    assert quota.embeds[0]["title"] == vi("quota.title")
    assert lines[0] == vi("quota.member", used=0, limit=10, remaining=10)
    assert vi("quota.counting") in lines


async def test_settings_answers_are_vietnamese(world):
    """Settings show, set, an invalid value and the permission refusal answer in Vietnamese."""
    discord = world.discord
    shown = await private_answer(await discord.slash(discord.admin, "motionbot settings show", locale=VI))
    assert shown.embeds[0]["title"] == vi("settings.title")
    assert {f["name"] for f in shown.embeds[0]["fields"]} >= {vi("settings.field.max_daily_per_user")}

    options = {"setting": "reactions_enabled", "value": "tắt"}
    changed = await discord.slash(discord.admin, "motionbot settings set", options, locale=VI)
    label = vi("settings.field.reactions_enabled")
    expected = vi("settings.changed", setting=label, value=vi("settings.value.off"))
    assert await final_answer(changed) == expected

    options = {"setting": "reactions_enabled", "value": "maybe"}
    invalid = await discord.slash(discord.admin, "motionbot settings set", options, locale=VI)
    expected = vi("settings.invalid", value="maybe", setting=label, expected=vi("settings.expected.on_off"))
    assert (await invalid.wait_response()).data["content"] == expected

    # An admin opened /motionbot to everyone in Server Settings → Integrations; the bot still refuses.
    await discord.set_command_permissions("motionbot", [everyone(discord.guild, True)])
    denied = await discord.slash(discord.bob, "motionbot settings show", locale=VI)
    assert (await denied.wait_response()).data["content"] == vi("settings.permission_needed")


def localized_parts(command: dict) -> list[tuple[str, dict]]:
    """Every command, sub-command, option and choice of a synced command, with its path."""
    parts = [(command["name"], command)]
    for option in command.get("options") or []:
        for path, part in localized_parts(option):
            parts.append((f"{command['name']} {path}", part))
    for choice in command.get("choices") or []:
        parts.append((f"{command['name']}={choice['value']}", choice))
    return parts


async def test_synced_commands_carry_vietnamese_names_and_descriptions(world):
    """Every command, option and choice has a Vietnamese name, and a Vietnamese description if it has one."""
    puts = [r for r in world.discord.requests if r.method == "PUT" and "/commands" in r.path]
    commands = puts[0].payload
    assert {c["name"] for c in commands} >= {"animate", "jobs", "quota", "motionbot", "Animate image"}
    checked = 0
    for command in commands:
        for path, part in localized_parts(command):
            assert part.get("name_localizations", {}).get(VI), f"{path} has no Vietnamese name"
            if command.get("type", 1) != MESSAGE_COMMAND and "value" not in part:
                assert part.get("description_localizations", {}).get(VI), (
                    f"{path} has no Vietnamese description"
                )
            checked += 1
    assert checked > 30
    animate = next(c for c in commands if c["name"] == "animate")
    assert animate["name_localizations"][VI] == vi("commands.animate.name")


async def test_reaction_jobs_speak_the_servers_preferred_language(world):
    """A 🎬 reaction in a Vietnamese server gives a Vietnamese card, whatever the member's client says."""
    discord = world.discord
    await discord.set_preferred_locale(VI)
    image = [("cat.png", png_bytes(), "image/png")]
    message = await discord.post_message(discord.bob, discord.general, "", attachments=image)

    await discord.add_reaction(discord.alice, message, "🎬")

    card = await world.wait_card(lambda m: m.reference is not None and has_clips(m))
    assert card.reference["message_id"] == str(message.id)
    assert card_parts(card).state == vi("card.state.delivered", count=4)
    job = await world.wait_job(lambda j: j.source is JobSource.REACTION)
    assert job.locale == VI and job.requester_id == discord.alice.id
