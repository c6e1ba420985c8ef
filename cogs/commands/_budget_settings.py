"""/motionbot settings budget and allowance: a server's money budgets and its allowances per role.

A server only lowers what the operator set (``bot.budget``): an amount above the operator's cap is
refused, naming the cap. The Admin cog declares the sub-commands; this module does their work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

import discord

from bot.budget import (
    MAX_ROLE_ALLOWANCES,
    Money,
    PriceTable,
    ServerBudget,
    effective_budgets,
    lower,
    parse_amount,
    with_budget,
)
from bot.checks import Refusal
from bot.client import interaction_lang, literal, refuse, reply_ephemeral, text, within_deadline
from bot.guild_settings import InvalidSetting
from bot.i18n import Lang
from bot.models import GuildSettings, RoleAllowance
from bot.store import StoreError

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)
T = TypeVar("T")
Change = Callable[[GuildSettings], GuildSettings]


class AllowanceAction(StrEnum):
    """What ``/motionbot settings allowance`` does."""

    ADD = "add"
    REMOVE = "remove"
    LIST = "list"


async def saved(interaction: discord.Interaction, write: Callable[[], Awaitable[T]]) -> T | None:
    """Answer Discord first (privately deferred), then run ``write`` and return what it returns.

    The write may wait for the database's write lock (a backup, the CLI), so nothing is written
    before the first answer. Returns None, after telling the member, if it was not saved.
    """
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        return await write()
    except StoreError as exc:
        log.warning("settings of guild %s not saved: %s", interaction.guild_id, exc)
        lang = interaction_lang(interaction)
        await reply_ephemeral(interaction, text(interaction.client, lang, "settings.not_saved"))
        return None


def money_text(client: discord.Client, lang: Lang, prices: PriceTable, amount: Money | None) -> str:
    """Return an amount in the operator's currency, or "no cap" for ``None``."""
    return text(client, lang, "settings.value.no_cap") if amount is None else prices.format(amount)


def per_day_month(
    client: discord.Client, lang: Lang, prices: PriceTable, day: Money | None, month: Money | None
) -> str:
    """Return "1.50 USD a day, 15.00 USD a month" (an absent cap: "no cap") for a pair of budgets."""
    shown = {"day": money_text(client, lang, prices, day), "month": money_text(client, lang, prices, month)}
    return text(client, lang, "settings.value.per_day_month", **shown)


class BudgetSettings:
    """The server's money budgets and allowances per role, as its admins change and read them."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def set_budget(self, interaction: discord.Interaction, name: ServerBudget, raw: str | None) -> None:
        """Lower one of the server's budgets to ``raw``, or put it back to the operator's cap (None)."""
        lang = interaction_lang(interaction)
        label = self._text(lang, f"settings.field.{name.value}")
        cap = name.operator_cap(self.services.settings)
        try:
            amount = None if raw is None else parse_amount(raw, cap, self.services.prices)
        except InvalidSetting as exc:
            await reply_ephemeral(interaction, self._invalid(lang, exc, raw or "", label))
            return
        guild_id = _guild(interaction)
        store = self.services.store
        updated = await saved(
            interaction, lambda: store.update_guild_settings(guild_id, lambda s: with_budget(s, name, amount))
        )
        if updated is None:
            return
        key = "settings.reset" if amount is None else "settings.changed"
        await reply_ephemeral(
            interaction, self._text(lang, key, setting=label, value=self.shown(lang, updated, name))
        )

    async def allowance(
        self,
        interaction: discord.Interaction,
        action: AllowanceAction,
        role: discord.Role | None,
        day: str | None,
        month: str | None,
    ) -> None:
        """Add (or change), remove or list the allowances per role."""
        if action is AllowanceAction.LIST:
            await self._list(interaction)
            return
        if role is None or role.is_default():
            await refuse(interaction, Refusal("settings.allowance_role"))
            return
        if action is AllowanceAction.REMOVE:
            await self._remove(interaction, role)
            return
        await self._add(interaction, role, day, month)

    async def _add(
        self, interaction: discord.Interaction, role: discord.Role, day: str | None, month: str | None
    ) -> None:
        lang = interaction_lang(interaction)
        if day is None and month is None:
            await refuse(interaction, Refusal("settings.allowance_amount"))
            return
        try:
            amounts = [self._amount(lang, raw, name, label) for raw, name, label in _periods(day, month)]
        except _AmountRefusedError as invalid:
            await reply_ephemeral(interaction, invalid.message)
            return
        allowance = RoleAllowance(_guild(interaction), role.id, amounts[0], amounts[1])
        store = self.services.store
        added = await saved(
            interaction, lambda: store.set_role_allowance(allowance, most=MAX_ROLE_ALLOWANCES)
        )
        if added is None:
            return
        if not added:
            await reply_ephemeral(
                interaction, self._text(lang, "settings.allowance_too_many", most=MAX_ROLE_ALLOWANCES)
            )
            return
        current = await store.get_guild_settings(allowance.guild_id)
        line = self._line(lang, current, allowance)
        await reply_ephemeral(interaction, self._text(lang, "settings.allowance_set", allowance=line))

    async def _remove(self, interaction: discord.Interaction, role: discord.Role) -> None:
        guild_id, store = _guild(interaction), self.services.store
        removed = await saved(interaction, lambda: store.remove_role_allowance(guild_id, role.id))
        if removed is None:
            return
        key = "settings.allowance_removed" if removed else "settings.allowance_absent"
        await reply_ephemeral(interaction, self._text(interaction_lang(interaction), key, role=role.mention))

    async def _list(self, interaction: discord.Interaction) -> None:
        lang = interaction_lang(interaction)
        try:
            current, allowances = await within_deadline(self._read(_guild(interaction)))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        others = self._budgets_line(lang, current, [])
        if not allowances:
            await reply_ephemeral(interaction, self._text(lang, "settings.allowances_none", budgets=others))
            return
        listed = "\n".join(f"- {self._line(lang, current, allowance)}" for allowance in allowances)
        await reply_ephemeral(
            interaction, self._text(lang, "settings.allowances_listed", allowances=listed, budgets=others)
        )

    async def _read(self, guild_id: int) -> tuple[GuildSettings | None, list[RoleAllowance]]:
        store = self.services.store
        return await store.get_guild_settings(guild_id), await store.role_allowances(guild_id)

    def _line(self, lang: Lang, current: GuildSettings | None, allowance: RoleAllowance) -> str:
        """Return "<@&role>: 1.50 USD a day, 15.00 USD a month": what a holder of only this role gets."""
        return f"<@&{allowance.role_id}>: {self._budgets_line(lang, current, [allowance])}"

    def _budgets_line(
        self, lang: Lang, current: GuildSettings | None, allowances: list[RoleAllowance]
    ) -> str:
        roles = frozenset(allowance.role_id for allowance in allowances)
        budgets = effective_budgets(self.services.settings, current, allowances, roles)
        # What bounds a holder here: their own budget in the server, else the operator's person caps.
        day, month = (
            lower(budgets.person_day, budgets.member_day),
            lower(budgets.person_month, budgets.member_month),
        )
        return self.person_budgets(lang, day, month)

    def person_budgets(self, lang: Lang, day: Money | None, month: Money | None) -> str:
        """Return "1.50 USD a day, 15.00 USD a month" (or "no cap") for a person's two budgets."""
        return per_day_month(self.bot, lang, self.services.prices, day, month)

    def shown(self, lang: Lang, current: GuildSettings, name: ServerBudget) -> str:
        """Return a server budget as ``/motionbot settings show`` lists it."""
        cap = name.operator_cap(self.services.settings)
        stored: int | None = getattr(current, name.value)
        if stored is None:
            key = "settings.value.no_budget" if cap is None else "settings.value.operator_budget"
            return self._text(lang, key, value=self.money(lang, cap))
        if cap is not None and stored > cap:
            # The operator lowered their cap since: theirs holds.
            return self._text(
                lang,
                "settings.value.capped",
                value=self.money(lang, cap),
                stored=self.money(lang, Money(stored)),
            )
        return self.money(lang, lower(cap, Money(stored)))

    def money(self, lang: Lang, amount: Money | None) -> str:
        """Return an amount in the operator's currency, or "no cap"."""
        return money_text(self.bot, lang, self.services.prices, amount)

    def _amount(self, lang: Lang, raw: str | None, name: ServerBudget, label_key: str) -> Money | None:
        if raw is None:
            return None
        try:
            return parse_amount(raw, name.operator_cap(self.services.settings), self.services.prices)
        except InvalidSetting as exc:
            label = self._text(lang, label_key)
            raise _AmountRefusedError(self._invalid(lang, exc, raw, label)) from None

    def _invalid(self, lang: Lang, exc: InvalidSetting, raw: str, label: str) -> str:
        expected = self._text(lang, exc.expected_key, **exc.params)
        return self._text(
            lang, exc.message_key, value=literal(raw), setting=label, expected=expected, **exc.params
        )

    def _text(self, lang: Lang, key: str, **params: object) -> str:
        return text(self.bot, lang, key, **params)


class _AmountRefusedError(Exception):
    """An amount refused, with the message that says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _periods(day: str | None, month: str | None) -> tuple[tuple[str | None, ServerBudget, str], ...]:
    """Return each period's typed amount, the operator's cap it is held to, and its label's key."""
    return (
        (day, ServerBudget.PERSON_DAY, "settings.field.allowance_day"),
        (month, ServerBudget.PERSON_MONTH, "settings.field.allowance_month"),
    )


def _guild(interaction: discord.Interaction) -> int:
    assert interaction.guild_id is not None, "the group is guild-only"
    return interaction.guild_id
