"""The core services the cogs call, built once in the composition root (``bot.__main__``).

A module of its own so that ``texts`` and ``replies`` (which the command tree uses) can reach the
services without importing ``MotionBot``, whose module imports the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
import discord

from bot.budget import BudgetAlerts, PriceTable
from bot.checks import QuotaService
from bot.i18n import Catalogue
from bot.intake import JobIntake
from bot.media import ClipArchive, NoArchive, OwnDeletions
from bot.ops import Metrics
from bot.provider import CometAPIClient
from bot.settings import Settings
from bot.store import JobStore
from bot.tracking import JobTracker


@dataclass(frozen=True, slots=True)
class Services:
    """The core services the cogs call; built once in the composition root."""

    settings: Settings
    store: JobStore
    provider: CometAPIClient
    tracker: JobTracker
    quotas: QuotaService
    catalogue: Catalogue
    http: aiohttp.ClientSession
    intake: JobIntake
    budget_alerts: BudgetAlerts
    metrics: Metrics = field(default_factory=Metrics)
    # Where delivered clips are kept (CLIP_ARCHIVE); put/get/delete per job, shared by every process.
    archive: ClipArchive = field(default_factory=NoArchive)
    own_deletions: OwnDeletions = field(default_factory=OwnDeletions)

    @property
    def prices(self) -> PriceTable:
        """The operator's price table (``PRICE_*``), for the prices and budgets members read."""
        return PriceTable.from_settings(self.settings)


def services_of(client: discord.Client) -> Services:
    """Return the core services of the running bot (a ``MotionBot``, whose module imports this one)."""
    services: Services = client.services  # type: ignore[attr-defined]
    return services
