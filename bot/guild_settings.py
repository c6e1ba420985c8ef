"""Per-server settings that admins change: parsing typed values and applying them. Pure, no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum

from bot.models import CLIP_CHOICES, ConsentMode, GuildSettings, Motion, Quality
from bot.settings import Settings

ON_WORDS = {"on", "true", "yes", "1", "enable", "enabled", "bật", "có"}
OFF_WORDS = {"off", "false", "no", "0", "disable", "disabled", "tắt", "không"}
EVERYONE_WORDS = {"everyone", "all", "mọi người", "tất cả", *ON_WORDS}
# Every word the who-may-press hint shows (settings.expected.who_may_press), in both languages.
OWNER_WORDS = {
    "owner",
    "requester",
    "mods",
    "moderators",
    "requester and mods",
    "requester and moderators",
    "người tạo",
    "người yêu cầu",
    "điều hành viên",
    *OFF_WORDS,
}
# The motion hint shows Vietnamese words beside the English values.
MOTION_WORDS = {"nhẹ": "low", "mạnh": "high"}
# issue 22 (consent): the words for each consent mode, in both languages (settings.expected.consent).
CONSENT_WORDS = {
    "anyone": ConsentMode.ANYONE,
    "everyone": ConsentMode.ANYONE,
    "mọi người": ConsentMode.ANYONE,
    "ask": ConsentMode.ASK,
    "ask the poster": ConsentMode.ASK,
    "hỏi": ConsentMode.ASK,
    "hỏi người đăng": ConsentMode.ASK,
    "poster_only": ConsentMode.POSTER_ONLY,
    "poster only": ConsentMode.POSTER_ONLY,
    "poster": ConsentMode.POSTER_ONLY,
    "chỉ người đăng": ConsentMode.POSTER_ONLY,
    "người đăng": ConsentMode.POSTER_ONLY,
}
CUSTOM_EMOJI = re.compile(r"<a?:[A-Za-z0-9_]{2,32}:[0-9]{15,21}>")
# Each limit a server may set, and the operator's setting (in .env) that caps it.
OPERATOR_LIMITS = {
    "max_concurrent_per_user": "max_concurrent_jobs_per_user",
    "max_daily_per_user": "max_daily_jobs_per_user",
    "max_daily_per_guild": "max_daily_jobs_per_guild",
}


class SettingName(StrEnum):
    """The settings an admin can set or reset one at a time (channel lists have their own command)."""

    REACTIONS_ENABLED = "reactions_enabled"
    REACTION_EMOJI = "reaction_emoji"
    BUTTONS_EVERYONE = "buttons_everyone"
    DEFAULT_MOTION = "default_motion"
    DEFAULT_QUALITY = "default_quality"
    DEFAULT_CLIPS = "default_clips"
    COUNT_CLIPS = "count_clips"
    MAX_CONCURRENT_PER_USER = "max_concurrent_per_user"
    MAX_DAILY_PER_USER = "max_daily_per_user"
    MAX_DAILY_PER_GUILD = "max_daily_per_guild"
    CONSENT = "consent"  # issue 22: who may animate an image someone else posted
    PRIVATE_DEFAULT = "private_default"  # issue 22: /animate's results for the requester only


class InvalidSetting(ValueError):  # noqa: N818 - an expected outcome of user input
    """A value that does not fit a setting; carries the catalogue key of what is expected."""

    message_key = "settings.invalid"

    def __init__(self, expected_key: str, **params: object) -> None:
        super().__init__(expected_key)
        self.expected_key = expected_key
        self.params: dict[str, object] = params


class AboveOperatorCap(InvalidSetting):
    """A limit above the operator's: a server may lower the operator's limits, never raise them."""

    message_key = "settings.above_cap"

    def __init__(self, cap: int) -> None:
        super().__init__("settings.expected.whole_number", min=1, max=cap, cap=cap)


def operator_caps(settings: Settings) -> dict[str, int]:
    """Return the operator's value of each limit a server may set, by setting name."""
    return {name: getattr(settings, field) for name, field in OPERATOR_LIMITS.items()}


def parse_value(name: SettingName, raw: str, *, caps: Mapping[str, int]) -> object:
    """Return the typed value of ``raw`` for setting ``name``, or raise InvalidSetting.

    ``caps`` are the operator's limits (``operator_caps``); a limit above its cap raises
    ``AboveOperatorCap``.
    """
    value = raw.strip()
    folded = value.casefold()
    if name in (SettingName.REACTIONS_ENABLED, SettingName.COUNT_CLIPS, SettingName.PRIVATE_DEFAULT):
        return _parse_switch(folded, ON_WORDS, OFF_WORDS, "settings.expected.on_off")
    if name is SettingName.BUTTONS_EVERYONE:
        return _parse_switch(folded, EVERYONE_WORDS, OWNER_WORDS, "settings.expected.who_may_press")
    if name is SettingName.REACTION_EMOJI:
        return parse_emoji(value)
    if name is SettingName.DEFAULT_MOTION:
        return _parse_enum(Motion, MOTION_WORDS.get(folded, folded), "settings.expected.motion")
    if name is SettingName.DEFAULT_QUALITY:
        return _parse_enum(Quality, folded.removesuffix("p") + "p", "settings.expected.quality")
    if name is SettingName.CONSENT:
        return _parse_consent(folded)
    if name is SettingName.DEFAULT_CLIPS:
        if folded not in {str(count) for count in CLIP_CHOICES}:
            raise InvalidSetting("settings.expected.clips")
        return int(folded)
    return _parse_limit(value, caps[name.value])


def parse_emoji(value: str) -> str:
    """Accept one Unicode emoji (with its modifiers) or a custom emoji such as ``<:name:123…>``."""
    if CUSTOM_EMOJI.fullmatch(value):
        return value
    if not value or len(value) > 16 or any(char.isspace() for char in value):
        raise InvalidSetting("settings.expected.emoji")
    if not all(unicodedata.category(char) in {"So", "Sk", "Mn", "Cf"} or char == "\u20e3" for char in value):
        raise InvalidSetting("settings.expected.emoji")
    return value


def apply(settings: GuildSettings, name: SettingName, value: object) -> GuildSettings:
    """Return ``settings`` with one setting changed (``None`` puts it back to the default)."""
    if name is SettingName.BUTTONS_EVERYONE:
        return replace(settings, buttons_everyone=bool(value))
    if name is SettingName.COUNT_CLIPS:
        return replace(settings, count_clips=bool(value))
    if name is SettingName.CONSENT:
        return replace(settings, consent=ConsentMode.ANYONE if value is None else ConsentMode(str(value)))
    if name is SettingName.PRIVATE_DEFAULT:
        return replace(settings, private_default=bool(value))
    changes: dict[str, object] = {name.value: value}
    return replace(settings, **changes)  # type: ignore[arg-type]


class ChannelAction(StrEnum):
    """What ``/motionbot settings channels`` does to a channel list."""

    ADD = "add"
    REMOVE = "remove"
    CLEAR = "clear"  # empty the list: no channel for commands, the commands' channels for reactions
    ALL = "all"  # every channel for commands; the commands' channels for reactions


def commands_open_in(settings: GuildSettings | None, channel_id: int) -> bool:
    """Return True if commands and buttons work in ``channel_id`` (a listed one, or every one)."""
    if settings is None:
        return True
    if settings.allowed_channel_ids:
        return channel_id in settings.allowed_channel_ids
    return settings.all_channels


def closed_everywhere(settings: GuildSettings | None) -> bool:
    """Return True when the server lists no channel and did not choose "all channels": none is open."""
    return settings is not None and not settings.allowed_channel_ids and not settings.all_channels


def reaction_listed(settings: GuildSettings | None, channel_id: int) -> bool:
    """Return True unless a channel list leaves ``channel_id`` out of the reaction trigger.

    The reaction list decides when it lists any channel, else the commands' list. A server open
    nowhere is not decided here: the trigger goes on, so the member hears that it is closed.
    """
    if settings is None:
        return True
    listed = settings.reaction_channel_ids or settings.allowed_channel_ids
    return not listed or channel_id in listed


def change_channels(
    settings: GuildSettings, *, reactions: bool, action: ChannelAction, channel_id: int | None
) -> GuildSettings:
    """Return ``settings`` with one of the two channel lists changed by ``action``.

    Removing the last command channel leaves none (not every channel): "all channels" is only ever
    chosen by ``ChannelAction.ALL``. Removing from "all channels", which has no list, changes nothing.
    """
    if reactions:
        listed = _changed(settings.reaction_channel_ids, action, channel_id)
        return replace(settings, reaction_channel_ids=listed)
    if action is ChannelAction.ALL:
        return replace(settings, allowed_channel_ids=frozenset(), all_channels=True)
    if action is ChannelAction.REMOVE and not settings.allowed_channel_ids:
        return settings
    return replace(
        settings,
        allowed_channel_ids=_changed(settings.allowed_channel_ids, action, channel_id),
        all_channels=False,
    )


def channels_answer(action: ChannelAction, *, reactions: bool, updated: GuildSettings) -> str:
    """Return the catalogue key that tells the admin what a channel change left (``{channel}``)."""
    listed = updated.reaction_channel_ids if reactions else updated.allowed_channel_ids
    if action is ChannelAction.ADD:
        return "settings.channel_added"
    if listed:
        return "settings.channel_removed"
    if reactions:
        return "settings.reaction_channels_follow"
    if updated.all_channels:
        return "settings.channels_all" if action is ChannelAction.ALL else "settings.remove_from_all"
    if action is ChannelAction.REMOVE:
        return "settings.channel_removed_none_left"
    return "settings.channels_none"


def _changed(current: frozenset[int], action: ChannelAction, channel_id: int | None) -> frozenset[int]:
    if action in (ChannelAction.CLEAR, ChannelAction.ALL):
        return frozenset()
    if channel_id is None:
        return current
    if action is ChannelAction.ADD:
        return current | {channel_id}
    return current - {channel_id}


def _parse_limit(value: str, cap: int) -> int:
    # isdecimal, not isdigit: int() refuses superscripts and other digits that are not decimal.
    if not value.isascii() or not value.isdecimal() or int(value) < 1:
        raise InvalidSetting("settings.expected.whole_number", min=1, max=cap)
    if int(value) > cap:
        raise AboveOperatorCap(cap)
    return int(value)


def _parse_switch(folded: str, yes: set[str], no: set[str], expected: str) -> bool:
    if folded in yes:
        return True
    if folded in no:
        return False
    raise InvalidSetting(expected)


def _parse_consent(folded: str) -> ConsentMode:
    mode = CONSENT_WORDS.get(" ".join(folded.replace("-", " ").split()))
    if mode is None:
        raise InvalidSetting("settings.expected.consent")
    return mode


def _parse_enum(kind: type[Motion] | type[Quality], folded: str, expected: str) -> object:
    try:
        return kind(folded)
    except ValueError:
        raise InvalidSetting(expected) from None
