"""/jobs (a member's recent jobs, paginated, with their prices) and /quota (used, left, prices, budgets)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budget import Money
from bot.checks import BudgetStatus, QuotaStatus, Refusal
from bot.client import interaction_lang, key_str, member_role_ids, refuse, text, within_deadline
from bot.i18n import Lang, discord_timestamp
from bot.models import Job
from cogs.cards import CardRenderer, JobsPageButton, clip_numbers

if TYPE_CHECKING:
    from bot.client import MotionBot

PAGE_SIZE = 5
LIST_COLOUR = discord.Colour.blurple()


def card_url(job: Job) -> str | None:
    """Return a jump link to the job's card, when it has one."""
    if job.card_message_id is None or job.guild_id is None:
        return None
    return f"https://discord.com/channels/{job.guild_id}/{job.channel_id}/{job.card_message_id}"


class Jobs(commands.Cog):
    """Lets members see their jobs and their limits."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def cog_load(self) -> None:
        """Register the persistent page buttons so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(JobsPageButton)

    async def cog_unload(self) -> None:
        """Unregister the page buttons."""
        self.bot.remove_dynamic_items(JobsPageButton)

    @app_commands.command(
        name=key_str("jobs", "commands.jobs.name"),
        description=key_str("Your recent video jobs", "commands.jobs.description"),
    )
    @app_commands.guild_only()
    async def jobs(self, interaction: discord.Interaction) -> None:
        """Show the member's recent jobs, privately, newest first."""
        try:
            embed, view = await within_deadline(self.page(interaction, interaction.user.id, 0))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def page_clicked(self, interaction: discord.Interaction, user_id: int, page: int) -> None:
        """Show another page of the list (only to the member it belongs to)."""
        if interaction.user.id != user_id:
            await refuse(interaction, Refusal("error.not_your_job"))
            return
        try:
            embed, view = await within_deadline(self.page(interaction, user_id, page))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        await interaction.response.edit_message(embed=embed, view=view)

    async def page(
        self, interaction: discord.Interaction, user_id: int, page: int
    ) -> tuple[discord.Embed, discord.ui.View]:
        """Return one page of the member's jobs and the buttons to move between pages."""
        lang = interaction_lang(interaction)
        store = self.services.store
        total = await store.count_jobs(user_id, interaction.guild_id)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        jobs = await store.recent_jobs(
            user_id, interaction.guild_id, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        embed = discord.Embed(title=text(self.bot, lang, "jobs.title"), colour=LIST_COLOUR)
        lines = [self._entry(lang, job) for job in jobs]
        embed.description = "\n".join(lines) if lines else text(self.bot, lang, "jobs.empty")
        embed.set_footer(text=text(self.bot, lang, "jobs.page", page=page + 1, pages=pages))
        return embed, self._pager(lang, user_id, page, pages)

    def _entry(self, lang: Lang, job: Job) -> str:
        entry = text(
            self.bot,
            lang,
            "jobs.entry",
            job_id=job.id,
            status=self._status(lang, job),
            motion=text(self.bot, lang, f"motion.{job.motion.value}"),
            quality=text(self.bot, lang, f"quality.{job.quality.value}"),
            options=CardRenderer(self.bot.services.catalogue, lang).options_text(job.options),
            created_at=discord_timestamp(job.created_at),
        )
        entry = f"{entry} · {self.services.prices.format(Money(job.price))}"
        if job.deleted:
            return entry  # nothing to show again, no card to link (issue 22): its cost stays listed
        # A slash command cannot be a link, so the entry shows the command that re-posts the job.
        command = text(self.bot, lang, "commands.show.name")
        option = text(self.bot, lang, "commands.show.job_name")
        recall = text(self.bot, lang, "jobs.recall", command=command, option=option, job_id=job.id)
        entry = f"{entry} · {recall}"
        url = card_url(job)
        return f"{entry} · {text(self.bot, lang, 'jobs.card_link', url=url)}" if url else entry

    def _status(self, lang: Lang, job: Job) -> str:
        """Return the job's status for the list; a partly delivered job names its missing clips."""
        if job.deleted:
            return text(self.bot, lang, "status.deleted")
        if job.partly_delivered:
            missing = job.missing_clips
            return text(
                self.bot, lang, "status.partly_delivered", count=len(missing), clips=clip_numbers(missing)
            )
        return text(self.bot, lang, f"status.{job.status.value}")

    def _pager(self, lang: Lang, user_id: int, page: int, pages: int) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        if pages < 2:
            # Both buttons would point at page 0, and Discord refuses repeated custom ids.
            return view
        previous = text(self.bot, lang, "button.previous")
        following = text(self.bot, lang, "button.next")
        view.add_item(JobsPageButton(user_id, max(page - 1, 0), label=previous, disabled=page == 0))
        view.add_item(
            JobsPageButton(user_id, min(page + 1, pages - 1), label=following, disabled=page >= pages - 1)
        )
        return view

    @app_commands.command(
        name=key_str("quota", "commands.quota.name"),
        description=key_str("How many videos you can still make today", "commands.quota.description"),
    )
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction) -> None:
        """Show what the member has used and has left today, privately."""
        try:
            status = await within_deadline(self._quota_reads(interaction))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        embed = self.quota_embed(interaction_lang(interaction), status)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def _quota_reads(self, interaction: discord.Interaction) -> QuotaStatus:
        """Return the member's counts and money budgets (their roles count for their allowance)."""
        roles = member_role_ids(interaction.user)
        return await self.services.quotas.status(interaction.guild_id, interaction.user.id, roles)

    def quota_embed(self, lang: Lang, status: QuotaStatus) -> discord.Embed:
        """Return the /quota answer."""
        lines = [
            text(
                self.bot,
                lang,
                "quota.member",
                used=status.user_used,
                limit=status.user_limit,
                remaining=status.user_remaining,
            )
        ]
        if status.guild_limit is not None:
            lines.append(
                text(
                    self.bot,
                    lang,
                    "quota.server",
                    used=status.guild_used,
                    limit=status.guild_limit,
                    remaining=status.guild_remaining,
                )
            )
        lines.append(
            text(self.bot, lang, "quota.running", running=status.running, limit=status.concurrent_limit)
        )
        lines.append(
            text(self.bot, lang, "quota.waiting", waiting=status.waiting, limit=status.waiting_limit)
        )
        if status.next_slot_at is not None:
            lines.append(
                text(self.bot, lang, "quota.next_slot", next_slot_at=discord_timestamp(status.next_slot_at))
            )
        else:
            lines.append(text(self.bot, lang, "quota.slot_free"))
        lines.append(text(self.bot, lang, "quota.resets", resets_at=discord_timestamp(status.resets_at)))
        lines.append(
            text(self.bot, lang, "quota.counting_clips" if status.counts_clips else "quota.counting")
        )
        lines += self._money_lines(lang, status.budgets)
        return discord.Embed(
            title=text(self.bot, lang, "quota.title"), description="\n".join(lines), colour=LIST_COLOUR
        )

    def _money_lines(self, lang: Lang, budgets: Sequence[BudgetStatus]) -> list[str]:
        """Return the price table and each budget in force: spent (with jobs in progress) of its cap."""
        prices = self.services.prices
        lines = [
            text(
                self.bot,
                lang,
                "quota.prices",
                sd=prices.format(prices.per_clip_480p),
                hd=prices.format(prices.per_clip_720p),
                extension=prices.format(prices.per_extension_clip),
            )
        ]
        for budget in budgets:
            if budget.cap is None or budget.left is None:
                continue
            lines.append(
                text(
                    self.bot,
                    lang,
                    f"quota.spend.{budget.scope}_{budget.period}",
                    spent=prices.format(budget.spent),
                    cap=prices.format(budget.cap),
                    left=prices.format(budget.left),
                    resets_at=discord_timestamp(budget.resets_at),
                )
            )
        return lines
