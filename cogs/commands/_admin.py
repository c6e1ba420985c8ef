"""/motionbot settings: show and change this server's Motionbot settings (Manage Server only).

The money budgets and allowances per role are declared here and done in ``_budget_settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budget import ServerBudget
from bot.checks import Refusal
from bot.client import interaction_lang, key_str, literal, refuse, reply_ephemeral, text, within_deadline
from bot.guild_settings import (
    OPERATOR_LIMITS,
    ChannelAction,
    InvalidSetting,
    SettingName,
    apply,
    change_channels,
    channels_answer,
    operator_caps,
    parse_value,
)
from bot.i18n import Lang
from bot.models import ConsentMode, GuildSettings, Motion, Quality
from cogs.commands._budget_settings import AllowanceAction, BudgetSettings, saved

if TYPE_CHECKING:
    from bot.client import MotionBot

SETTING_CHOICES = [
    app_commands.Choice(
        name=key_str(name.value.replace("_", " "), f"settings.field.{name.value}"), value=name.value
    )
    for name in SettingName
]
ACTION_CHOICES = [
    app_commands.Choice(name=key_str("Add", "commands.settings.action_add"), value="add"),
    app_commands.Choice(name=key_str("Remove", "commands.settings.action_remove"), value="remove"),
    app_commands.Choice(name=key_str("Clear the list", "commands.settings.action_clear"), value="clear"),
    app_commands.Choice(name=key_str("All channels", "commands.settings.action_all"), value="all"),
]
SCOPE_CHOICES = [
    app_commands.Choice(
        name=key_str("Commands and buttons", "commands.settings.scope_commands"), value="commands"
    ),
    app_commands.Choice(
        name=key_str("Reaction trigger", "commands.settings.scope_reactions"), value="reactions"
    ),
]

BUDGET_LABELS = {
    ServerBudget.SERVER_DAY: "Server budget per day",
    ServerBudget.SERVER_MONTH: "Server budget per month",
    ServerBudget.PERSON_DAY: "Budget per member per day",
    ServerBudget.PERSON_MONTH: "Budget per member per month",
}
BUDGET_CHOICES = [
    app_commands.Choice(name=key_str(label, f"settings.field.{name.value}"), value=name.value)
    for name, label in BUDGET_LABELS.items()
]
ALLOWANCE_CHOICES = [
    app_commands.Choice(name=key_str("Add or change", "commands.settings.allowance_add"), value="add"),
    app_commands.Choice(name=key_str("Remove", "commands.settings.action_remove"), value="remove"),
    app_commands.Choice(name=key_str("List", "commands.settings.allowance_list"), value="list"),
]

# Discord hides the group from members without Manage Server, but a server can override that
# default, so the bot checks the invoking member's permissions itself as well.
MANAGE_SERVER = app_commands.checks.has_permissions(manage_guild=True)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Admin(
    commands.GroupCog,
    group_name=key_str("motionbot", "commands.motionbot.name"),
    group_description=key_str("Motionbot administration", "commands.motionbot.description"),
):
    """Server settings, for members with Manage Server."""

    settings = app_commands.Group(
        name=key_str("settings", "commands.settings.name"),
        description=key_str("Motionbot settings for this server", "commands.settings.description"),
    )

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.budgets = BudgetSettings(bot)
        super().__init__()

    @settings.command(
        name=key_str("show", "commands.settings.show_name"),
        description=key_str("Show the current settings", "commands.settings.show_description"),
    )
    @MANAGE_SERVER
    async def settings_show(self, interaction: discord.Interaction) -> None:
        """Show every setting of this server and whether it is the default."""
        try:
            current = await within_deadline(self._current(interaction))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        await interaction.response.send_message(
            embed=self.describe(interaction_lang(interaction), current), ephemeral=True
        )

    @settings.command(
        name=key_str("set", "commands.settings.set_name"),
        description=key_str("Change one setting", "commands.settings.set_description"),
    )
    @MANAGE_SERVER
    @app_commands.rename(
        setting=key_str("setting", "commands.settings.setting_name"),
        value=key_str("value", "commands.settings.value_name"),
    )
    @app_commands.describe(
        setting=key_str("The setting to change", "commands.settings.setting_description"),
        value=key_str("The new value", "commands.settings.value_description"),
    )
    @app_commands.choices(setting=SETTING_CHOICES)
    async def settings_set(
        self,
        interaction: discord.Interaction,
        setting: app_commands.Choice[str],
        value: app_commands.Range[str, 1, 100],
    ) -> None:
        """Change one setting after checking its value."""
        lang = interaction_lang(interaction)
        name = SettingName(setting.value)
        label = text(self.bot, lang, f"settings.field.{name.value}")
        try:
            parsed = parse_value(name, value, caps=operator_caps(self.services.settings))
        except InvalidSetting as exc:
            expected = text(self.bot, lang, exc.expected_key, **exc.params)
            shown = literal(value)
            message = text(
                self.bot, lang, exc.message_key, value=shown, setting=label, expected=expected, **exc.params
            )
            await reply_ephemeral(interaction, message)
            return
        updated = await self._save(interaction, lambda current: apply(current, name, parsed))
        if updated is None:
            return
        shown = self._value(lang, updated, name.value)
        await reply_ephemeral(
            interaction, text(self.bot, lang, "settings.changed", setting=label, value=shown)
        )

    @settings.command(
        name=key_str("reset", "commands.settings.reset_name"),
        description=key_str("Put one setting back to its default", "commands.settings.reset_description"),
    )
    @MANAGE_SERVER
    @app_commands.rename(setting=key_str("setting", "commands.settings.setting_name"))
    @app_commands.describe(setting=key_str("The setting to change", "commands.settings.setting_description"))
    @app_commands.choices(setting=SETTING_CHOICES)
    async def settings_reset(
        self, interaction: discord.Interaction, setting: app_commands.Choice[str]
    ) -> None:
        """Put one setting back to the bot-wide default."""
        lang = interaction_lang(interaction)
        name = SettingName(setting.value)
        switches = (SettingName.BUTTONS_EVERYONE, SettingName.COUNT_CLIPS, SettingName.PRIVATE_DEFAULT)
        default: object = False if name in switches else None
        updated = await self._save(interaction, lambda current: apply(current, name, default))
        if updated is None:
            return
        label = text(self.bot, lang, f"settings.field.{name.value}")
        shown = self._value(lang, updated, name.value)
        await reply_ephemeral(interaction, text(self.bot, lang, "settings.reset", setting=label, value=shown))

    @settings.command(
        name=key_str("channels", "commands.settings.channels_name"),
        description=key_str(
            "Choose the channels where Motionbot works", "commands.settings.channels_description"
        ),
    )
    @MANAGE_SERVER
    @app_commands.rename(
        action=key_str("action", "commands.settings.action_name"),
        scope=key_str("scope", "commands.settings.scope_name"),
        channel=key_str("channel", "commands.settings.channel_name"),
    )
    @app_commands.describe(
        action=key_str(
            "Add a channel, remove one, clear the list, or allow every channel",
            "commands.settings.action_description",
        ),
        scope=key_str("Which list to change", "commands.settings.scope_description"),
        channel=key_str("The channel to add or remove", "commands.settings.channel_description"),
    )
    @app_commands.choices(action=ACTION_CHOICES, scope=SCOPE_CHOICES)
    async def settings_channels(
        self,
        interaction: discord.Interaction,
        action: app_commands.Choice[str],
        scope: app_commands.Choice[str] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Add a channel to, remove one from, or clear the allow-list of commands or of reactions.

        "all" opens commands in every channel; removing the last channel leaves none, and says so.
        """
        lang = interaction_lang(interaction)
        change = ChannelAction(action.value)
        if change in (ChannelAction.ADD, ChannelAction.REMOVE) and channel is None:
            expected = text(self.bot, lang, "settings.expected.channel")
            label = text(self.bot, lang, "settings.field.allowed_channel_ids")
            await reply_ephemeral(
                interaction,
                text(self.bot, lang, "settings.invalid", value="", setting=label, expected=expected),
            )
            return
        reactions = scope is not None and scope.value == "reactions"
        channel_id = channel.id if channel is not None else None
        updated = await self._save(
            interaction,
            lambda current: change_channels(
                current, reactions=reactions, action=change, channel_id=channel_id
            ),
        )
        if updated is None:
            return
        key = channels_answer(change, reactions=reactions, updated=updated)
        await reply_ephemeral(interaction, text(self.bot, lang, key, channel=f"<#{channel_id}>"))

    @settings.command(
        name=key_str("budget", "commands.settings.budget_name"),
        description=key_str(
            "Lower a money budget of this server, or put it back", "commands.settings.budget_description"
        ),
    )
    @MANAGE_SERVER
    @app_commands.rename(
        budget=key_str("budget", "commands.settings.budget_option_name"),
        amount=key_str("amount", "commands.settings.amount_name"),
    )
    @app_commands.describe(
        budget=key_str("The budget to change", "commands.settings.budget_option_description"),
        amount=key_str(
            "The most to spend, such as 2.50; leave out to go back to the operator's cap",
            "commands.settings.amount_description",
        ),
    )
    @app_commands.choices(budget=BUDGET_CHOICES)
    async def settings_budget(
        self,
        interaction: discord.Interaction,
        budget: app_commands.Choice[str],
        amount: app_commands.Range[str, 1, 32] | None = None,
    ) -> None:
        """Lower the server's or each member's day or month budget (never above the operator's)."""
        await self.budgets.set_budget(interaction, ServerBudget(budget.value), amount)

    @settings.command(
        name=key_str("allowance", "commands.settings.allowance_name"),
        description=key_str(
            "Give the members of a role their own budget", "commands.settings.allowance_description"
        ),
    )
    @MANAGE_SERVER
    @app_commands.rename(
        action=key_str("action", "commands.settings.action_name"),
        role=key_str("role", "commands.settings.role_name"),
        day=key_str("day", "commands.settings.day_name"),
        month=key_str("month", "commands.settings.month_name"),
    )
    @app_commands.describe(
        action=key_str(
            "Add or change a role's allowance, remove it, or list them all",
            "commands.settings.allowance_action_description",
        ),
        role=key_str("The role whose members get the allowance", "commands.settings.role_description"),
        day=key_str("The most each of them may spend per day", "commands.settings.day_description"),
        month=key_str("The most each of them may spend per month", "commands.settings.month_description"),
    )
    @app_commands.choices(action=ALLOWANCE_CHOICES)
    async def settings_allowance(
        self,
        interaction: discord.Interaction,
        action: app_commands.Choice[str],
        role: discord.Role | None = None,
        day: app_commands.Range[str, 1, 32] | None = None,
        month: app_commands.Range[str, 1, 32] | None = None,
    ) -> None:
        """Add, change, remove or list the budgets of members by role (the highest of theirs counts)."""
        await self.budgets.allowance(interaction, AllowanceAction(action.value), role, day, month)

    async def _current(self, interaction: discord.Interaction) -> GuildSettings:
        assert interaction.guild_id is not None, "the group is guild-only"
        stored = await self.services.store.get_guild_settings(interaction.guild_id)
        return stored or GuildSettings(guild_id=interaction.guild_id)

    async def _save(
        self, interaction: discord.Interaction, change: Callable[[GuildSettings], GuildSettings]
    ) -> GuildSettings | None:
        """Answer Discord first (privately deferred), then store ``change`` of the current settings.

        Returns None, after telling the member, if the change was not saved.
        """
        assert interaction.guild_id is not None, "the group is guild-only"
        guild_id = interaction.guild_id
        return await saved(interaction, lambda: self.services.store.update_guild_settings(guild_id, change))

    def describe(self, lang: Lang, current: GuildSettings) -> discord.Embed:
        """Return an embed listing every setting with its value."""
        embed = discord.Embed(title=text(self.bot, lang, "settings.title"), colour=discord.Colour.blurple())
        fields = ("allowed_channel_ids", "reaction_channel_ids", *(name.value for name in SettingName))
        for field in fields:
            embed.add_field(
                name=text(self.bot, lang, f"settings.field.{field}"), value=self._value(lang, current, field)
            )
        for budget in ServerBudget:
            embed.add_field(
                name=text(self.bot, lang, f"settings.field.{budget.value}"),
                value=self.budgets.shown(lang, current, budget),
            )
        return embed

    def _value(self, lang: Lang, current: GuildSettings, field: str) -> str:
        value = getattr(current, field)
        if field in ("allowed_channel_ids", "reaction_channel_ids"):
            return " ".join(f"<#{cid}>" for cid in sorted(value)) or self._no_list(lang, current, field)
        if field == "buttons_everyone":
            return text(
                self.bot, lang, "settings.value.everyone" if value else "settings.value.requester_and_mods"
            )
        if field == "consent":
            return text(self.bot, lang, CONSENT_VALUES[value])
        if value is None:
            default = getattr(self.services.settings, _DEFAULTS[field])
            return text(self.bot, lang, "settings.value.default", value=self._plain(lang, default))
        cap = operator_caps(self.services.settings).get(field)
        if cap is not None and value > cap:
            # Stored by an older version that let servers raise the operator's limits.
            return text(self.bot, lang, "settings.value.capped", value=cap, stored=value)
        return self._plain(lang, value)

    def _no_list(self, lang: Lang, current: GuildSettings, field: str) -> str:
        """Say what an empty channel list means: the commands' channels, every channel, or none."""
        if field == "reaction_channel_ids":
            return text(self.bot, lang, "settings.value.same_as_commands")
        key = "settings.value.all_channels" if current.all_channels else "settings.value.no_channels"
        return text(self.bot, lang, key)

    def _plain(self, lang: Lang, value: object) -> str:
        if isinstance(value, bool):
            return text(self.bot, lang, "settings.value.on" if value else "settings.value.off")
        if isinstance(value, Motion):
            return text(self.bot, lang, f"motion.{value.value}")
        if isinstance(value, Quality):
            return text(self.bot, lang, f"quality.{value.value}")
        return str(value)


# issue 22 (consent): how each mode is shown
CONSENT_VALUES = {
    ConsentMode.ANYONE: "settings.value.consent_anyone",
    ConsentMode.ASK: "settings.value.consent_ask",
    ConsentMode.POSTER_ONLY: "settings.value.consent_poster_only",
}
_DEFAULTS = {
    "reactions_enabled": "reactions_enabled",
    "reaction_emoji": "reaction_emoji",
    "default_motion": "default_motion",
    "default_quality": "default_quality",
    "default_clips": "default_clips",
    **OPERATOR_LIMITS,
}
