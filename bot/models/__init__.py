"""Typed records shared by the core: the job, consent requests, a server's settings, the spend ledger.

Nothing here knows about Discord or HTTP; the store, the tracker and the cogs all speak these types.
Import them from ``bot.models``; the modules only keep each family of records apart.
"""

from bot.models.consent import ConsentMode, ConsentRequest, ConsentStatus
from bot.models.guild import GuildSettings, RoleAllowance
from bot.models.job import (
    ACTIVE_STATUSES,
    CLIP_CHOICES,
    CLIPS_PER_JOB,
    FINAL_STATUSES,
    MAX_EXTENSIONS,
    MAX_PROMPT_LENGTH,
    PROVIDER_REPORTED,
    STATE_PREFIX,
    FailureKind,
    Job,
    JobSource,
    JobStatus,
    Motion,
    NewJob,
    PostPlace,
    PrivatePost,
    Quality,
    VideoOptions,
    charged_units,
    state_tag,
    utcnow,
)
from bot.models.spend import Charge, LedgerState, Spend, SpendTotals, Standing, UsageCounts

__all__ = [
    "ACTIVE_STATUSES",
    "CLIPS_PER_JOB",
    "CLIP_CHOICES",
    "FINAL_STATUSES",
    "MAX_EXTENSIONS",
    "MAX_PROMPT_LENGTH",
    "PROVIDER_REPORTED",
    "STATE_PREFIX",
    "Charge",
    "ConsentMode",
    "ConsentRequest",
    "ConsentStatus",
    "FailureKind",
    "GuildSettings",
    "Job",
    "JobSource",
    "JobStatus",
    "LedgerState",
    "Motion",
    "NewJob",
    "PostPlace",
    "PrivatePost",
    "Quality",
    "RoleAllowance",
    "Spend",
    "SpendTotals",
    "Standing",
    "UsageCounts",
    "VideoOptions",
    "charged_units",
    "state_tag",
    "utcnow",
]
