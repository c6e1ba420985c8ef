"""A server's own settings: its overrides of the process-wide defaults and its role allowances."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.consent import ConsentMode
from bot.models.job import Motion, Quality


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """Per-server overrides; ``None`` (or an empty set) means "use the process-wide default".

    Where commands and buttons work: the channels of ``allowed_channel_ids`` when it lists any; with
    none listed, every channel when ``all_channels`` (the default), else no channel at all.
    """

    guild_id: int
    allowed_channel_ids: frozenset[int] = frozenset()
    reactions_enabled: bool | None = None
    reaction_emoji: str | None = None
    reaction_channel_ids: frozenset[int] = frozenset()
    buttons_everyone: bool = False
    default_motion: Motion | None = None
    default_quality: Quality | None = None
    default_clips: int | None = None
    count_clips: bool = False  # daily limits count clips (True) or jobs (False)
    max_concurrent_per_user: int | None = None
    max_daily_per_user: int | None = None
    max_daily_per_guild: int | None = None
    all_channels: bool = True
    # Money budgets the server chose below the operator's (millionths of PRICE_CURRENCY, see
    # bot.budget); None keeps the operator's cap. The person budgets hold for members without an
    # allowance role (``RoleAllowance``).
    budget_server_day: int | None = None
    budget_server_month: int | None = None
    budget_person_day: int | None = None
    budget_person_month: int | None = None
    # issue 22 (consent): who may animate an image another member posted (moderators always may).
    consent: ConsentMode = ConsentMode.ANYONE
    private_default: bool = False  # /animate's results for the requester only unless they say otherwise


@dataclass(frozen=True, slots=True)
class RoleAllowance:
    """A server's money budget for each holder of one role (millionths of PRICE_CURRENCY, see bot.budget).

    ``None`` for a period: the server's default person budget. A member with several such roles gets
    the highest; never more than the operator's person caps (``bot.budget.effective_budgets``).
    """

    guild_id: int
    role_id: int
    day: int | None = None
    month: int | None = None
