"""/usage: spend on videos, as a chart by day and a few lines. Admins see the server's, others their own.

A member with Manage Server gets the server's spend by day over the last 30 UTC days, who and which
roles spent most, and the server's budgets left; anyone else (and anyone in a DM) their own spend and
their own budgets. The answer is private. The roles are read from Discord now: the ledger records who
spent, not which roles they held, so a role's line counts the biggest spenders' current roles.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budget import (
    BudgetLeft,
    Budgets,
    ChartText,
    Money,
    Period,
    PriceTable,
    RoleSpend,
    Scope,
    UsageReport,
    UsageReports,
    budgets_for,
    draw_spend_chart,
    top_roles,
)
from bot.checks import Refusal
from bot.client import interaction_lang, key_str, member_role_ids, refuse, text, within_deadline
from bot.i18n import Lang, discord_timestamp, format_day
from bot.store import Spend
from cogs.commands._jobs import LIST_COLOUR

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

CHART_FILE = "spend.png"
ROLE_SAMPLE = 10  # the biggest spenders whose roles are read from Discord, one request each
# After the deferral the answer may take longer than Discord's 3 s, but never hang on a stuck read.
REPORT_BUDGET = 10.0
BUDGET_KEYS = {
    (Scope.SERVER, Period.DAY): "usage.budget_server_day",
    (Scope.SERVER, Period.MONTH): "usage.budget_server_month",
    (Scope.PERSON, Period.DAY): "usage.budget_person_day",
    (Scope.PERSON, Period.MONTH): "usage.budget_person_month",
    (Scope.MEMBER, Period.DAY): "usage.budget_member_day",
    (Scope.MEMBER, Period.MONTH): "usage.budget_member_month",
}


class Usage(commands.Cog):
    """Shows what videos cost: a server's spend to its admins, a member's own to them."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.reports = UsageReports(bot.services.store)
        self.prices = PriceTable.from_settings(bot.services.settings)

    @app_commands.command(
        name=key_str("usage", "commands.usage.name"),
        description=key_str("What videos cost: this server's spend, or yours", "commands.usage.description"),
    )
    async def usage(self, interaction: discord.Interaction) -> None:
        """Answer privately with the report and its chart (drawn after the deferral: it takes a moment)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            embed, chart = await within_deadline(self._answer(interaction), budget=REPORT_BUDGET)
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        if chart is None:
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            chart_file = discord.File(io.BytesIO(chart), filename=CHART_FILE)
            await interaction.followup.send(embed=embed, file=chart_file, ephemeral=True)

    async def _answer(self, interaction: discord.Interaction) -> tuple[discord.Embed, bytes | None]:
        lang = interaction_lang(interaction)
        budgets = await self._budgets(interaction)
        guild = interaction.guild
        if guild is not None and interaction.permissions.manage_guild:
            report = await self.reports.server(guild.id, budgets)
            roles = await self._roles_of(guild, [person for person, _ in report.top_people(ROLE_SAMPLE)])
            embed = self._server_embed(lang, report, roles)
            title_key = "usage.chart_title_server"
        else:
            report = await self.reports.person(interaction.user.id, budgets, guild_id=interaction.guild_id)
            embed = self._person_embed(lang, report, here=interaction.guild_id is not None)
            title_key = "usage.chart_title_person"
        if report.empty:
            return embed, None
        embed.set_image(url=f"attachment://{CHART_FILE}")
        return embed, await draw_spend_chart(report.days, self._chart_text(lang, title_key))

    async def _budgets(self, interaction: discord.Interaction) -> Budgets:
        """Return the budgets in force for the member here: the server's, and theirs by their roles."""
        services, roles = self.services, member_role_ids(interaction.user)
        return await budgets_for(services.store, services.settings, interaction.guild_id, roles)

    # -- the answer's lines ----------------------------------------------------------------------

    def _server_embed(
        self, lang: Lang, report: UsageReport, roles: dict[int, list[int]] | None
    ) -> discord.Embed:
        lines = self._totals(lang, report)
        if not report.empty:
            lines += ["", self._t(lang, "usage.top_members")]
            ranked = enumerate(report.top_people(), start=1)
            lines += [self._member_line(lang, place, person, spend) for place, (person, spend) in ranked]
            lines += ["", *self._role_lines(lang, report, roles)]
        lines += ["", *self._budget_lines(lang, report.budgets, "usage.no_budget_server")]
        return self._embed(lang, "usage.title_server", lines)

    def _person_embed(self, lang: Lang, report: UsageReport, *, here: bool) -> discord.Embed:
        lines = self._totals(lang, report)
        lines += ["", *self._budget_lines(lang, report.budgets, "usage.no_budget_person")]
        return self._embed(lang, "usage.title_person" if here else "usage.title_everywhere", lines)

    def _embed(self, lang: Lang, title_key: str, lines: list[str]) -> discord.Embed:
        description = "\n".join(lines)
        embed = discord.Embed(title=self._t(lang, title_key), description=description, colour=LIST_COLOUR)
        return embed.set_footer(text=self._t(lang, "usage.counting"))

    def _totals(self, lang: Lang, report: UsageReport) -> list[str]:
        if report.empty:
            month = self._t(lang, "usage.month", total=self._money(report.month))
            return [self._t(lang, "usage.nothing"), month]
        total = report.total
        window = self._t(
            lang,
            "usage.window",
            total=self._money(total),
            charged=self._amount(total.charged),
            reserved=self._amount(total.reserved),
            videos=self._videos(lang, total),
        )
        return [window, self._t(lang, "usage.month", total=self._money(report.month))]

    def _member_line(self, lang: Lang, place: int, person: int, spend: Spend) -> str:
        return self._t(
            lang,
            "usage.member_entry",
            place=place,
            user_id=person,
            total=self._money(spend),
            videos=self._videos(lang, spend),
        )

    def _role_lines(self, lang: Lang, report: UsageReport, roles: dict[int, list[int]] | None) -> list[str]:
        if roles is None:
            return [self._t(lang, "usage.top_roles"), self._t(lang, "usage.roles_unreadable")]
        ranked = top_roles(report.people, roles)
        lines = [self._t(lang, "usage.top_roles")]
        lines += [self._role_line(lang, place, role) for place, role in enumerate(ranked, start=1)]
        if not ranked:
            lines.append(self._t(lang, "usage.no_roles"))
        lines.append(self._t(lang, "usage.roles_note", sample=ROLE_SAMPLE))
        return lines

    def _role_line(self, lang: Lang, place: int, role: RoleSpend) -> str:
        members = self._t(lang, "usage.role_members", count=role.members)
        return self._t(
            lang,
            "usage.role_entry",
            place=place,
            role_id=role.role_id,
            total=self._money(role.spend),
            members=members,
        )

    def _budget_lines(self, lang: Lang, budgets: Iterable[BudgetLeft], none_key: str) -> list[str]:
        lines = [
            self._t(
                lang,
                BUDGET_KEYS[budget.scope, budget.period],
                left=self._amount(budget.left),
                cap=self._amount(budget.cap),
                renews_at=discord_timestamp(budget.renews_at),
            )
            for budget in budgets
        ]
        return [self._t(lang, "usage.budgets"), *lines] if lines else [self._t(lang, none_key)]

    def _chart_text(self, lang: Lang, title_key: str) -> ChartText:
        return ChartText(
            title=self._t(lang, title_key),
            days_axis=self._t(lang, "usage.chart_days"),
            amount_axis=self._t(lang, "usage.chart_amount", currency=self.prices.currency),
            charged=self._t(lang, "usage.chart_charged"),
            reserved=self._t(lang, "usage.chart_reserved"),
            day_label=lambda day: format_day(day, lang),
        )

    def _money(self, spend: Spend) -> str:
        return self._amount(spend.amount)

    def _amount(self, amount: int) -> str:
        return self.prices.format(Money(amount))

    def _videos(self, lang: Lang, spend: Spend) -> str:
        return self._t(lang, "usage.videos", count=spend.jobs)

    def _t(self, lang: Lang, key: str, **params: object) -> str:
        return text(self.bot, lang, key, **params)

    # -- the roles, from Discord ------------------------------------------------------------------

    async def _roles_of(self, guild: discord.Guild, people: list[int]) -> dict[int, list[int]] | None:
        """Return each person's current roles but @everyone (none if they left); None when unreadable."""
        try:
            members = await asyncio.gather(*(self._member(guild, person) for person in people))
        except discord.HTTPException:
            log.warning("could not read the roles of server %s's spenders", guild.id, exc_info=True)
            return None
        return {
            member.id: [role.id for role in member.roles if not role.is_default()]
            for member in members
            if member is not None
        }

    async def _member(self, guild: discord.Guild, person: int) -> discord.Member | None:
        # Without the members intent the cache holds whoever was last seen, with the roles they had
        # then: ask Discord for the roles of now.
        member = guild.get_member(person) if self.bot.intents.members else None
        if member is not None:
            return member
        try:
            return await guild.fetch_member(person)
        except discord.NotFound:
            return None  # left the server: their spend counts in no role
