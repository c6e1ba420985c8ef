"""/motionbot settings end to end: show, set, reset, channel lists, and who may use them."""

import pytest

from bot.models import JobSource, Motion, Quality
from tests.doubles.discord import CommandNotPermittedError, everyone
from tests.doubles.media import png_bytes
from tests.e2e.harness import World, budgeted_world, final_answer

SETTINGS = "motionbot settings"
FIELD_LABELS = {
    "allowed_channel_ids": "Channels where Motionbot works",
    "reaction_channel_ids": "Channels for the reaction trigger",
    "reactions_enabled": "Reaction trigger",
    "reaction_emoji": "Reaction emoji",
    "buttons_everyone": "Who may press Extend",
    "default_motion": "Default motion",
    "default_quality": "Default quality",
    "default_clips": "Default clips per video",
    "count_clips": "Daily limits count clips",
    "max_concurrent_per_user": "Jobs at once per member",
    "max_daily_per_user": "Videos per member per day",
    "max_daily_per_guild": "Videos per server per day",
    "budget_server_day": "Server budget per day",
    "budget_server_month": "Server budget per month",
    "budget_person_day": "Budget per member per day",
    "budget_person_month": "Budget per member per month",
    "consent": "Animating others' images",  # issue 22
    "private_default": "Private results by default",  # issue 22
}

OPEN_AGAIN = (
    "To open it again, run /motionbot settings channels with the action All channels, or add a channel."
)
CLOSED = f"The list is empty, so Motionbot now works in no channel of this server. {OPEN_AGAIN}"
WHO_MAY_PRESS = "everyone, or requester (the requester and moderators)"


async def admin_says(world: World, sub: str, options: dict, user=None, **where) -> str:
    """Run a settings sub-command and return its private answer."""
    handle = await world.discord.slash(user or world.discord.admin, f"{SETTINGS} {sub}", options, **where)
    response = await handle.wait_response()
    assert response.status == 200 and response.latency < 3.0 and handle.ephemeral
    return await final_answer(handle)


async def stored(world: World):
    """The server's settings row, as the bot stored it."""
    return await world.store.get_guild_settings(world.discord.guild.id)


async def test_show_lists_every_setting_with_its_default(tmp_path):
    """A fresh server sees all twelve settings and four budgets, each with the bot-wide default."""
    async with budgeted_world(tmp_path) as world:
        handle = await world.discord.slash(world.discord.admin, f"{SETTINGS} show")
        await handle.wait_response()
        message = await handle.wait_original()

    assert handle.ephemeral
    embed = message.embeds[0]
    assert embed["title"] == "Motionbot settings for this server"
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert set(fields) == set(FIELD_LABELS.values())
    assert fields["Channels where Motionbot works"] == "All channels"
    assert fields["Reaction trigger"] == "On (default)"
    assert fields["Reaction emoji"] == "🎬 (default)"
    assert fields["Who may press Extend"] == "The requester and members with Manage Messages"
    assert fields["Default quality"] == "480p (default)"
    assert fields["Default clips per video"] == "4 (default)"
    assert fields["Daily limits count clips"] == "Off"
    assert fields["Private results by default"] == "Off"
    assert fields["Jobs at once per member"] == "2 (default)"
    assert fields["Videos per server per day"] == "100 (default)"
    assert fields["Server budget per day"] == "10.00 USD (the operator's cap)"
    assert fields["Animating others' images"] == "Anyone may animate any image"


SET_CASES = [
    ("reactions_enabled", "off", "Off", False, "maybe", "on or off"),
    ("reaction_emoji", "✨", "✨", "✨", "abc", "a single emoji"),
    ("buttons_everyone", "everyone", "Everyone", True, "sometimes", WHO_MAY_PRESS),
    ("default_motion", "HIGH", "High", Motion.HIGH, "medium", "low or high"),
    ("default_quality", "720", "720p", Quality.HD, "1080p", "480p or 720p"),
    ("default_clips", "2", "2", 2, "3", "1, 2 or 4"),
    ("count_clips", "on", "On", True, "maybe", "on or off"),
    # Limits go from 1 to the operator's value in .env (2, 10 and 100 by default).
    ("max_concurrent_per_user", "1", "1", 1, "0", "a whole number from 1 to 2"),
    ("max_daily_per_user", "5", "5", 5, "ten", "a whole number from 1 to 10"),
    ("max_daily_per_guild", "50", "50", 50, "lots", "a whole number from 1 to 100"),
    ("private_default", "on", "On", True, "maybe", "on or off"),  # issue 22
]


@pytest.mark.parametrize(("setting", "value", "shown", "typed", "bad", "expected"), SET_CASES)
async def test_set_checks_the_value_and_stores_it(world, setting, value, shown, typed, bad, expected):
    """A valid value is stored and echoed; an invalid one says what is expected and changes nothing."""
    label = FIELD_LABELS[setting]

    invalid = await admin_says(world, "set", {"setting": setting, "value": bad})
    assert invalid == f"“{bad}” is not a valid value for {label}. Expected {expected}."
    assert await stored(world) is None

    changed = await admin_says(world, "set", {"setting": setting, "value": value})
    assert changed == f"{label} is now: {shown}"
    assert getattr(await stored(world), setting) == typed


async def test_changed_values_show_up_in_show(world):
    """After a change, show lists the new value instead of the default."""
    await admin_says(world, "set", {"setting": "max_daily_per_user", "value": "7"})
    handle = await world.discord.slash(world.discord.admin, f"{SETTINGS} show")
    await handle.wait_response()
    fields = {f["name"]: f["value"] for f in (await handle.wait_original()).embeds[0]["fields"]}
    assert fields["Videos per member per day"] == "7"


async def test_reset_puts_a_setting_back_to_the_default(world):
    """Reset clears the override in SQLite and names the default now in force."""
    await admin_says(world, "set", {"setting": "max_daily_per_user", "value": "5"})
    await admin_says(world, "set", {"setting": "buttons_everyone", "value": "on"})

    answer = await admin_says(world, "reset", {"setting": "max_daily_per_user"})
    assert answer == "Videos per member per day is back to the default: 10 (default)"
    answer = await admin_says(world, "reset", {"setting": "buttons_everyone"})
    assert (
        answer
        == "Who may press Extend is back to the default: The requester and members with Manage Messages"
    )
    row = await stored(world)
    assert row.max_daily_per_user is None and row.buttons_everyone is False


async def test_command_channels_add_remove_and_clear(world):
    """An allow-list limits /animate to its channels; elsewhere the refusal lists them."""
    discord = world.discord
    answer = await admin_says(
        world, "channels", {"action": "add", "scope": "commands", "channel": discord.media}
    )
    assert answer == f"<#{discord.media.id}> added to the list."
    assert (await stored(world)).allowed_channel_ids == {discord.media.id}

    outside = await discord.slash(discord.alice, "animate", attachment=("cat.png", png_bytes(), "image/png"))
    response = await outside.wait_response()
    assert outside.ephemeral
    assert response.data["content"] == (
        f"Motionbot can't be used in this channel. Try one of these: <#{discord.media.id}>"
    )
    inside = await discord.slash(
        discord.alice, "animate", attachment=("cat.png", png_bytes(), "image/png"), channel=discord.media
    )
    await inside.wait_response()
    assert not inside.ephemeral
    job = await world.wait_job(lambda j: j.card_message_id == inside.original_message_id)
    assert job.channel_id == discord.media.id
    assert len(await world.store.all_jobs()) == 1  # nothing started from #general

    await admin_says(world, "channels", {"action": "add", "channel": discord.general})
    answer = await admin_says(world, "channels", {"action": "remove", "channel": discord.media})
    assert answer == f"<#{discord.media.id}> removed from the list."
    answer = await admin_says(world, "channels", {"action": "clear", "scope": "commands"})
    assert answer == CLOSED
    row = await stored(world)
    assert row.allowed_channel_ids == frozenset() and not row.all_channels
    answer = await admin_says(world, "channels", {"action": "all"})
    assert answer == "Motionbot now works in every channel of this server."
    row = await stored(world)
    assert row.allowed_channel_ids == frozenset() and row.all_channels


async def test_adding_a_channel_needs_a_channel(world):
    """ "add" without a channel says a text channel is expected and stores nothing."""
    answer = await admin_says(world, "channels", {"action": "add"})
    assert answer.endswith("Expected a text channel.")
    assert await stored(world) is None


async def test_reaction_channels_limit_the_reaction_trigger(world):
    """With #general as the only reaction channel, 🎬 in #media does nothing and in #general starts a job."""
    discord = world.discord
    answer = await admin_says(
        world, "channels", {"action": "add", "scope": "reactions", "channel": discord.general}
    )
    assert answer == f"<#{discord.general.id}> added to the list."
    row = await stored(world)
    assert row.reaction_channel_ids == {discord.general.id} and row.allowed_channel_ids == frozenset()
    image = [("cat.png", png_bytes(), "image/png")]
    in_media = await discord.post_message(discord.bob, discord.media, "", attachments=image)
    in_general = await discord.post_message(discord.bob, discord.general, "", attachments=image)

    await discord.add_reaction(discord.alice, in_media, "🎬")
    await discord.add_reaction(discord.alice, in_general, "🎬")

    job = await world.wait_job(lambda j: j.source is JobSource.REACTION)
    await world.wait_delivered(job.id)
    assert job.source_message_id == in_general.id
    assert [j.source_message_id for j in await world.store.all_jobs()] == [in_general.id]

    await admin_says(
        world, "channels", {"action": "remove", "scope": "reactions", "channel": discord.general}
    )
    assert (await stored(world)).reaction_channel_ids == frozenset()
    await admin_says(world, "channels", {"action": "add", "scope": "reactions", "channel": discord.media})
    answer = await admin_says(world, "channels", {"action": "clear", "scope": "reactions"})
    assert answer == "No channel is listed for the reaction trigger, so it works wherever commands work."
    assert (await stored(world)).reaction_channel_ids == frozenset()


async def test_settings_command_is_synced_for_manage_server_only(world):
    """The synced /motionbot carries default_member_permissions 32 (Manage Server)."""
    puts = [r for r in world.discord.requests if r.method == "PUT" and "/commands" in r.path]
    payload = {command["name"]: command for command in puts[0].payload}
    # Discord documents a string; discord.py sends the bits as a number, which Discord accepts.
    assert str(payload["motionbot"]["default_member_permissions"]) == "32"
    assert payload["animate"].get("default_member_permissions") is None


@pytest.mark.parametrize(
    ("sub", "options"),
    [
        ("show", {}),
        ("set", {"setting": "max_daily_per_user", "value": "1"}),
        ("reset", {"setting": "max_daily_per_user"}),
        ("channels", {"action": "clear"}),
    ],
)
async def test_member_without_manage_server_is_refused(world, sub, options):
    """Discord hides the command from members; an admin may still open it to everyone in Server
    Settings → Integrations (a command-level allow beats default_member_permissions), and then the
    bot itself refuses."""
    discord = world.discord
    with pytest.raises(CommandNotPermittedError):
        await discord.slash(discord.bob, f"{SETTINGS} {sub}", options)
    await discord.set_command_permissions("motionbot", [everyone(discord.guild, True)])
    answer = await admin_says(world, sub, options, user=discord.bob)
    assert answer == "You need the Manage Server permission to change Motionbot's settings."
    assert await stored(world) is None


@pytest.mark.parametrize(
    ("setting", "word", "typed", "locale"),
    [
        ("default_motion", "nhẹ", Motion.LOW, "vi"),
        ("default_motion", "mạnh", Motion.HIGH, "vi"),
        ("buttons_everyone", "mọi người", True, "vi"),
        ("buttons_everyone", "người tạo", False, "vi"),
        ("buttons_everyone", "moderators", False, "en-US"),
        ("buttons_everyone", "requester", False, "en-US"),
    ],
)
async def test_the_words_the_hints_show_are_accepted(world, setting, word, typed, locale):
    """Each word shown in the expected-value hints, English or Vietnamese, sets the value it names."""
    await admin_says(world, "set", {"setting": setting, "value": word}, locale=locale)
    assert getattr(await stored(world), setting) == typed
