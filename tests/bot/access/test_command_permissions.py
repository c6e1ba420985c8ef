"""Discord's command permission evaluation (bot.access.command_permissions), from the documented examples.

Sources: discord-api-docs ``developers/interactions/application-commands.mdx`` (Permissions, the
constants, "Using Default Permissions" and "Example of editing permissions"), ``change-log.mdx``
(Permissions v2 and "Upcoming Application Command Permission Changes") and Discord's support articles
"Updates to Command Permissions" (the StudyBot example) and "Command Permissions Lockout" (Graggle).
"""

from __future__ import annotations

import random

import pytest

from bot.access.command_permissions import (
    ADMINISTRATOR,
    Access,
    Caller,
    CommandRef,
    Overwrite,
    ServerPermissions,
    TargetType,
    evaluate,
    parse_overwrites,
    parse_server_permissions,
)
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.command_permissions import ALLOWED, CHANNEL_OFF, CommandPermissionBook
from tests.doubles.discord.model import RegisteredCommand

GUILD, APP, COMMAND, OTHER_COMMAND = 1_000_000, 42, 7, 8
ALL_CHANNELS, EVERYONE = GUILD - 1, GUILD
STUDY_ZONE, FLASHCARD_HELP, GENERAL = 501, 502, 503
STUDENT_LEADS, STUDY_BUDDIES, BOT_MEMERS = 601, 602, 603
GRAGGLE, MEMBER = 701, 702
MANAGE_GUILD, BAN_MEMBERS = 1 << 5, 1 << 2
SEND_MESSAGES = 1 << 11


def role(target: int, allowed: bool) -> Overwrite:
    return Overwrite(target, TargetType.ROLE, allowed)


def user(target: int, allowed: bool) -> Overwrite:
    return Overwrite(target, TargetType.USER, allowed)


def channel(target: int, allowed: bool) -> Overwrite:
    return Overwrite(target, TargetType.CHANNEL, allowed)


def server(**layers: tuple[Overwrite, ...]) -> ServerPermissions:
    """``command=``, ``app=`` and ``other=`` overwrites of one server."""
    targets = {"command": COMMAND, "app": APP, "other": OTHER_COMMAND}
    return ServerPermissions(GUILD, APP, {targets[name]: tuple(o) for name, o in layers.items()})


def caller(
    user_id: int = MEMBER,
    roles: tuple[int, ...] = (),
    *,
    where: int = GENERAL,
    permissions: int = SEND_MESSAGES,
    parent: int | None = None,
) -> Caller:
    return Caller(user_id, frozenset({EVERYONE, *roles}), permissions, where, parent)


ANIMATE = CommandRef(COMMAND)


def test_nothing_set_lets_everyone_use_a_command_everywhere():
    assert evaluate(server(), ANIMATE, caller()) is Access.ALLOWED


def test_default_member_permissions_zero_is_for_admins_only():
    """'Setting it to "0" will prohibit anyone in a guild from using the command unless a specific
    overwrite is configured or the user has admin permissions.'"""
    admins_only = CommandRef(COMMAND, 0)
    assert evaluate(server(), admins_only, caller()) is Access.MEMBER_DENIED
    assert evaluate(server(), admins_only, caller(permissions=ADMINISTRATOR)) is Access.ALLOWED
    opened = server(command=(role(STUDENT_LEADS, True),))
    assert evaluate(opened, admins_only, caller(roles=(STUDENT_LEADS,))) is Access.ALLOWED


def test_default_member_permissions_manage_guild_is_for_those_who_hold_it():
    """The docs' ``permissions = str(1 << 5)`` example: only members with MANAGE_GUILD."""
    managers = CommandRef(COMMAND, MANAGE_GUILD)
    assert evaluate(server(), managers, caller()) is Access.MEMBER_DENIED
    assert evaluate(server(), managers, caller(permissions=MANAGE_GUILD | SEND_MESSAGES)) is Access.ALLOWED


def test_a_channel_overwrite_disables_the_command_in_that_channel_only():
    """The docs' "disable a command for a specific channel" example: ``{"id": A_SPECIFIC_CHANNEL,
    "type": 3, "permission": False}``."""
    permissions = server(command=(channel(GENERAL, False),))
    assert evaluate(permissions, ANIMATE, caller(where=GENERAL)) is Access.CHANNEL_DISABLED
    assert evaluate(permissions, ANIMATE, caller(where=STUDY_ZONE)) is Access.ALLOWED


def test_all_channels_is_guild_id_minus_one_and_a_channel_of_its_own_beats_it():
    permissions = server(command=(channel(ALL_CHANNELS, False), channel(STUDY_ZONE, True)))
    assert evaluate(permissions, ANIMATE, caller(where=STUDY_ZONE)) is Access.ALLOWED
    assert evaluate(permissions, ANIMATE, caller(where=GENERAL)) is Access.CHANNEL_DISABLED


def test_everyone_is_the_role_whose_id_is_the_guild_id():
    permissions = server(command=(role(EVERYONE, False),))
    assert evaluate(permissions, ANIMATE, caller()) is Access.MEMBER_DENIED
    assert evaluate(permissions, ANIMATE, caller(roles=(STUDENT_LEADS,))) is Access.MEMBER_DENIED


def test_a_role_entry_beats_everyone_and_one_allowing_role_is_enough():
    permissions = server(command=(role(EVERYONE, False), role(STUDENT_LEADS, True), role(BOT_MEMERS, False)))
    assert evaluate(permissions, ANIMATE, caller(roles=(STUDENT_LEADS,))) is Access.ALLOWED
    assert evaluate(permissions, ANIMATE, caller(roles=(STUDENT_LEADS, BOT_MEMERS))) is Access.ALLOWED
    assert evaluate(permissions, ANIMATE, caller(roles=(BOT_MEMERS,))) is Access.MEMBER_DENIED


def test_a_user_entry_beats_their_roles():
    denied_user = server(command=(role(STUDENT_LEADS, True), user(MEMBER, False)))
    assert evaluate(denied_user, ANIMATE, caller(roles=(STUDENT_LEADS,))) is Access.MEMBER_DENIED
    allowed_user = server(command=(role(EVERYONE, False), role(BOT_MEMERS, False), user(MEMBER, True)))
    assert evaluate(allowed_user, ANIMATE, caller(roles=(BOT_MEMERS,))) is Access.ALLOWED


def test_where_and_who_must_both_allow():
    permissions = server(command=(user(MEMBER, True), channel(GENERAL, False)))
    assert evaluate(permissions, ANIMATE, caller(where=GENERAL)) is Access.CHANNEL_DISABLED
    permissions = server(command=(user(MEMBER, False), channel(GENERAL, True)))
    assert evaluate(permissions, ANIMATE, caller(where=GENERAL)) is Access.MEMBER_DENIED


def test_administrators_use_every_command_everywhere():
    """'Members with the Administrator permission can use all commands.'"""
    locked = server(
        command=(channel(ALL_CHANNELS, False), role(EVERYONE, False), user(GRAGGLE, False)),
        app=(user(GRAGGLE, False),),
    )
    admin = caller(GRAGGLE, permissions=ADMINISTRATOR)
    assert evaluate(locked, CommandRef(COMMAND, 0), admin) is Access.ALLOWED


def test_a_thread_follows_its_parent_channel():
    """'any command permissions for a channel will apply to the threads it contains'."""
    permissions = server(command=(channel(GENERAL, False),))
    in_thread = caller(where=9_999, parent=GENERAL)
    assert evaluate(permissions, ANIMATE, in_thread) is Access.CHANNEL_DISABLED
    assert evaluate(permissions, ANIMATE, caller(where=9_999, parent=STUDY_ZONE)) is Access.ALLOWED


def test_the_application_entry_applies_to_commands_without_their_own():
    """'When the id field is the application ID ... the permissions apply to all commands that do not
    contain explicit overwrites.'"""
    permissions = server(app=(user(MEMBER, False),), other=(user(MEMBER, True),))
    assert evaluate(permissions, ANIMATE, caller()) is Access.MEMBER_DENIED
    assert evaluate(permissions, CommandRef(OTHER_COMMAND), caller()) is Access.ALLOWED
    assert evaluate(permissions, CommandRef(None), caller()) is Access.MEMBER_DENIED  # not registered


# The StudyBot example of Discord's "Updates to Command Permissions": app-level, only Student Leads
# and only #study-zone; /notecards also for Study Buddies and also in #flashcard-help.
STUDYBOT = ServerPermissions(
    GUILD,
    APP,
    {
        APP: (
            role(EVERYONE, False),
            role(STUDENT_LEADS, True),
            channel(ALL_CHANNELS, False),
            channel(STUDY_ZONE, True),
        ),
        COMMAND: (role(STUDY_BUDDIES, True), channel(FLASHCARD_HELP, True)),  # /notecards
    },
)
NOTECARDS, STUDY = CommandRef(COMMAND), CommandRef(OTHER_COMMAND)


@pytest.mark.parametrize(
    ("roles", "where", "command", "expected"),
    [
        ((STUDY_BUDDIES,), FLASHCARD_HELP, NOTECARDS, Access.ALLOWED),
        ((STUDY_BUDDIES,), STUDY_ZONE, NOTECARDS, Access.ALLOWED),
        ((STUDENT_LEADS,), FLASHCARD_HELP, NOTECARDS, Access.ALLOWED),
        ((STUDENT_LEADS,), STUDY_ZONE, NOTECARDS, Access.ALLOWED),
        ((), STUDY_ZONE, NOTECARDS, Access.MEMBER_DENIED),
        ((STUDY_BUDDIES,), GENERAL, NOTECARDS, Access.CHANNEL_DISABLED),
        ((STUDY_BUDDIES,), STUDY_ZONE, STUDY, Access.MEMBER_DENIED),
        ((STUDENT_LEADS,), FLASHCARD_HELP, STUDY, Access.CHANNEL_DISABLED),
        ((STUDENT_LEADS,), STUDY_ZONE, STUDY, Access.ALLOWED),
    ],
)
def test_the_studybot_example_command_overwrites_add_to_the_application_ones(roles, where, command, expected):
    """'/notecards can be used by Study Buddies and Student Leads, in #flashcard-help and #study-zone.'"""
    assert evaluate(STUDYBOT, command, caller(roles=roles, where=where)) is expected


def test_the_lockout_example_denying_everyone_on_a_command_locks_out_the_admin_who_forgot_himself():
    """Graggle (a Student Lead, no Administrator) denies @everyone on /notecards and loses it, until
    he allows Student Leads on the command itself."""
    graggle = caller(GRAGGLE, (STUDENT_LEADS,), permissions=MANAGE_GUILD)
    locked = server(command=(role(EVERYONE, False),))
    assert evaluate(locked, NOTECARDS, graggle) is Access.MEMBER_DENIED
    fixed = server(command=(role(STUDENT_LEADS, True), role(EVERYONE, False)))
    assert evaluate(fixed, NOTECARDS, graggle) is Access.ALLOWED


def test_an_application_allow_still_needs_the_default_permissions_and_a_command_allow_does_not():
    """'No more accidentally granting /ban which requires BAN_MEMBERS to @BotMemers just because you
    gave them access to the app!' Command-level configurations override default_member_permissions."""
    ban = CommandRef(COMMAND, BAN_MEMBERS)
    memer = caller(roles=(BOT_MEMERS,))
    assert evaluate(server(app=(role(BOT_MEMERS, True),)), ban, memer) is Access.MEMBER_DENIED
    assert evaluate(server(command=(role(BOT_MEMERS, True),)), ban, memer) is Access.ALLOWED
    assert (
        evaluate(server(app=(role(BOT_MEMERS, False),)), CommandRef(COMMAND), memer) is Access.MEMBER_DENIED
    )


def test_the_command_layer_overrides_the_application_layer_for_the_same_context():
    """A command-level word on the member (or on the channel, all channels included) wins."""
    permissions = server(app=(user(MEMBER, False),), command=(role(EVERYONE, True),))
    assert evaluate(permissions, ANIMATE, caller()) is Access.ALLOWED
    permissions = server(app=(channel(GENERAL, True),), command=(channel(ALL_CHANNELS, False),))
    assert evaluate(permissions, ANIMATE, caller(where=GENERAL)) is Access.CHANNEL_DISABLED


def test_replacing_a_target_keeps_the_others_and_an_empty_list_removes_it():
    before = server(app=(user(MEMBER, False),), command=(channel(GENERAL, False),))
    after = before.replaced(COMMAND, ())
    assert dict(after.by_target) == {APP: (user(MEMBER, False),)}
    assert evaluate(after, ANIMATE, caller()) is Access.MEMBER_DENIED
    assert dict(after.replaced(APP, (role(EVERYONE, True),)).by_target) == {APP: (role(EVERYONE, True),)}


def test_the_documented_payload_is_parsed_and_foreign_entries_are_left_out():
    payload = [
        {
            "id": str(COMMAND),
            "application_id": str(APP),
            "guild_id": str(GUILD),
            "permissions": [
                {"id": str(GENERAL), "type": 3, "permission": False},
                {"id": str(GUILD), "type": 1, "permission": True},
                {"id": "5", "type": 9, "permission": True},  # a type this code does not know
            ],
        },
        {
            "id": "3",
            "application_id": "99",
            "guild_id": str(GUILD),
            "permissions": [{"id": "1", "type": 2, "permission": True}],
        },
        {"id": str(APP), "application_id": str(APP), "guild_id": str(GUILD), "permissions": []},
    ]
    parsed = parse_server_permissions(GUILD, APP, payload)
    assert dict(parsed.by_target) == {COMMAND: (channel(GENERAL, False), role(EVERYONE, True))}
    with pytest.raises(ValueError):
        parse_overwrites([{"id": "1", "type": 2, "permission": "false"}])


# -- the bot's reading and the Discord double's reading agree ------------------------------------


def test_the_bot_and_the_discord_double_read_the_rules_the_same_way():
    """Hundreds of random servers: both independent readings of the documentation agree everywhere."""
    double = DiscordDouble()
    state, guild = double.state, double.guild
    app_id = state.application_id
    roles = [state.add_role(guild, f"r{n}", 0) for n in range(3)]
    people = [double.alice, double.bob, double.mod]
    rng = random.Random(18)
    for _ in range(300):
        for person in people:
            double.member(person).role_ids = [r.id for r in roles if rng.random() < 0.5]
        book, command = CommandPermissionBook(), RegisteredCommand(77, app_id, None, 1, {"name": "animate"})
        command.payload["default_member_permissions"] = rng.choice([None, "0", str(1 << 13)])
        targets = [
            *[("role", r.id) for r in roles],
            ("role", guild.id),
            *[("user", p.id) for p in people],
            ("channel", double.general.id),
            ("channel", double.media.id),
            ("channel", guild.id - 1),
        ]
        kinds = {"role": 1, "user": 2, "channel": 3}
        layers: dict[int, list[dict[str, object]]] = {}
        for target in (command.id, app_id):
            chosen = [t for t in targets if rng.random() < 0.3]
            layers[target] = [
                {"id": str(i), "type": kinds[k], "permission": rng.random() < 0.5} for k, i in chosen
            ]
            book.put(guild.id, target, layers[target])
        bot_view = ServerPermissions(guild.id, app_id, {t: parse_overwrites(e) for t, e in layers.items()})
        required = command.payload["default_member_permissions"]
        ref = CommandRef(command.id, None if required is None else int(required))
        for person in people:
            for place in (double.general, double.media):
                theirs = book.usable(state, guild, person, place, command)
                perms = state.permissions_in(place, person)
                ours = evaluate(
                    bot_view,
                    ref,
                    Caller(person.id, frozenset(double.member(person).role_ids), perms, place.id),
                )
                expected = {ALLOWED: Access.ALLOWED, CHANNEL_OFF: Access.CHANNEL_DISABLED}.get(
                    theirs, Access.MEMBER_DENIED
                )
                assert ours is expected, (layers, person.username, place.name)
