"""Keeps every job's card up to date from tracker events; finished clips go through ``ClipDelivery``.

Progress edits are coalesced: a card is edited only when something visible changed, and at most
once every few seconds per job, so normal use never draws a 429. Final states are shown at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.i18n import resolve_locale
from bot.media import ClipFile
from bot.models import Job, JobStatus
from bot.tracking import JobEvent, JobEventKind
from cogs.cards._card_states import CardState, CardStates
from cogs.cards._clip_delivery import ClipDelivery
from cogs.cards._clip_files import clip_file
from cogs.cards._editor import CardEditor, CardUnavailable
from cogs.cards._layout import Card
from cogs.cards._render import CardRenderer

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

RESUMED_STATUSES = (JobStatus.QUEUED, JobStatus.SUBMITTED, JobStatus.RUNNING)


class Cards(commands.Cog):
    """Job cards and clip delivery."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.editor = CardEditor(bot)
        self._states = CardStates()
        self.delivery = ClipDelivery(bot, self)
        self.edits = 0

    async def cog_load(self) -> None:
        """Follow the tracker's events; note the jobs the tracker will resume after a restart."""
        # Loaded before the tracker starts and before any interaction, so these are exactly the jobs an
        # earlier process left in flight. Kept in memory: after a second restart saying it again is true.
        for job in await self.services.store.jobs_with_status(*RESUMED_STATUSES):
            self._states.hold(job.id).resumed = True  # its next card edit says so, once
        self.services.tracker.subscribe(self.on_job_event)

    async def cog_unload(self) -> None:
        """Stop following events and cancel pending edits."""
        self.services.tracker.events.unsubscribe(self.on_job_event)
        timers = [state.timer for state in self._states.values() if state.timer is not None]
        for state in self._states.values():
            if state.timer is not None and not state.editing:
                state.timer.cancel()
        await asyncio.gather(*timers, return_exceptions=True)

    def renderer(self, locale: str | None) -> CardRenderer:
        """Return a card renderer in the language of ``locale``."""
        return CardRenderer(self.services.catalogue, resolve_locale(locale), self.services.prices)

    async def on_job_event(self, event: JobEvent) -> None:
        """Show the job's new state; deliver the clips once it succeeded."""
        job = event.job
        if event.kind is JobEventKind.SUCCEEDED:
            await self._finish(job, self.delivery.deliver)
        elif event.kind is JobEventKind.FAILED:
            await self._finish(job, self.show_failure)
        elif event.kind is JobEventKind.CANCELLED:
            await self._finish(job, self._show_cancelled)
        else:
            await self.progressed(job)

    async def progressed(self, job: Job) -> None:
        """Edit the card for a non-final state, coalescing bursts of changes."""
        state = self._states.hold(job.id)
        newest = state.latest or state.shown
        if newest is not None and newest.updated_at > job.updated_at:
            return  # an older version of the job arrived late; a newer one is or will be shown
        state.latest = job
        if state.timer is not None:
            return
        interval = self.services.settings.card_edit_interval_seconds
        wait = state.last_edit + interval - time.monotonic()
        if wait <= 0:
            await self._edit_latest(job.id)
        else:
            state.timer = asyncio.create_task(self._edit_later(state, job.id, wait))

    async def _edit_later(self, state: CardState, job_id: int, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            state.editing = True
            await self._edit_latest(job_id)
        except Exception:
            log.exception("job %s: delayed card edit failed", job_id)
        finally:
            state.editing = False
            if state.timer is asyncio.current_task():  # not a newer timer set after _finish took this one
                state.timer = None

    async def _edit_latest(self, job_id: int) -> None:
        state = self._states.get(job_id)
        if state is None:
            return  # forgotten while this edit waited
        async with state.lock:
            job, state.latest = state.latest, None
            if job is None or job.status.is_final:
                return
            if job.reaches_through_webhook and not self.editor.token_usable(job):
                return  # the card outlived its token: only the final state goes, by DM
            if not await self.services.tracker.holds(job):
                self._forget(job.id)  # another process shows its card now
                return
            place = self.services.tracker.queue_place(job.id) if job.status is JobStatus.QUEUED else None
            card = self.renderer(job.locale).job(job, place=place, extra_notes=self._resumed_note(job, state))
            if card.signature() == state.signature:
                return
            try:
                await self.show_card(job, card)
                state.resumed = False
            except CardUnavailable:
                log.warning("job %s: card cannot be shown in channel %s", job.id, job.channel_id)
            except discord.HTTPException as exc:
                log.warning("job %s: card edit failed: %s", job.id, exc)

    def _resumed_note(self, job: Job, state: CardState) -> tuple[str, ...]:
        if not state.resumed:
            return ()
        return (self.renderer(job.locale).text("card.resumed"),)

    async def _finish(self, job: Job, work: Callable[[Job], Awaitable[None]]) -> None:
        state = self._states.hold(job.id)
        # A final card is the last one: a note there would stay forever, not be said once.
        state.resumed, state.latest = False, None
        timer, state.timer = state.timer, None
        if timer is not None:
            # Cancel a pending edit only while it still sleeps: cancelling discord.py's webhook call
            # during its rate-limit pause leaks the bucket's lock and blocks every later edit.
            if not state.editing:
                timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
        try:
            async with state.lock:
                if await self.services.tracker.holds(job):  # else another process shows it now
                    await work(job)
        finally:
            self._forget(job.id)

    def _forget(self, job_id: int) -> None:
        """Forget the job's card whole: its final state is shown, or another process shows it now."""
        state = self._states.drop(job_id)
        if state is not None and state.timer is not None and not state.editing:
            state.timer.cancel()  # an edit that would find nothing to draw

    async def show_card(self, job: Job, card: Card, files: Sequence[ClipFile] = ()) -> Job:
        """Make the job's card look like ``card`` with ``files`` attached; return the stored job."""
        note = self.renderer(job.locale).text("delivery.card_deleted")
        updated = await self.editor.show(
            job, card, lambda: [clip_file(job, clip) for clip in files], note=note
        )
        state = self._states.get(job.id)  # kept from the job's first edit to its final state
        if state is not None:
            state.last_edit, state.signature, state.shown = time.monotonic(), card.signature(), updated
        self.edits += 1
        return updated

    # -- final states -------------------------------------------------------------------------

    async def show_failure(self, job: Job) -> None:
        """Show a failed job's card (or tell its requester by DM when the card cannot be shown)."""
        renderer = self.renderer(job.locale)
        try:
            await self.show_card(job, renderer.job(job))
        except (CardUnavailable, discord.HTTPException) as exc:
            log.warning("job %s: failure card not shown (%s); telling the requester by DM", job.id, exc)
            await self.direct_message(job.requester_id, renderer.failure_reason(job))
        await self.services.store.mark_final_shown(job.id)

    async def _show_cancelled(self, job: Job) -> None:
        try:
            await self.show_card(job, self.renderer(job.locale).job(job))
        except (CardUnavailable, discord.HTTPException) as exc:
            log.warning("job %s: cancelled card not shown (%s)", job.id, exc)
        await self.services.store.mark_final_shown(job.id)

    # -- helpers -----------------------------------------------------------------------------

    async def direct_message(self, user_id: int, content: str) -> bool:
        """Send a DM to a member; return False when Discord refuses it."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(content)
        except discord.HTTPException:
            log.info("could not DM user %s", user_id)
            return False
        return True


def loaded_cards(client: discord.Client) -> Cards | None:
    """Return the running bot's Cards cog, or None while it is not loaded."""
    # MotionBot is an AutoShardedBot, which is not a commands.Bot: both share BotBase.
    cog = client.get_cog(Cards.__cog_name__) if isinstance(client, commands.bot.BotBase) else None
    return cog if isinstance(cog, Cards) else None
