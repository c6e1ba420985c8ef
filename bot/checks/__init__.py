"""The checks a member's request passes, and the ``Refusal`` a failed one raises.

The image (metadata, then the bytes downloaded from Discord's hosts and checked), the prompt
(folded, cleaned, its links and typed flags), the limits and money budgets (quotas, on the ledger), the
records a request is made of (``JobRequest``, ``ExtendJobRequest``, ``ImageRef``), and what the provider
is sent from them: the checked image bytes (``ProviderImages``) and the prompt's words and flags.
Both the intake (on the way in) and the tracker (at submit) use them. May import: the shared
vocabulary only.
"""

from bot.checks.image_fetch import CheckedImage, ImageFetcher
from bot.checks.images import MIN_SIDE, ImageRejected, validate_attachment_metadata
from bot.checks.prompt_flags import (
    FlagRejected,
    merge_option,
    parse_prompt,
    provider_flags,
    provider_prompt,
    provider_words,
)
from bot.checks.prompts import PromptRejected, clean_prompt, shorten
from bot.checks.provider_images import ImageNotSendable, ProviderImages
from bot.checks.quotas import BudgetExceeded, BudgetStatus, QuotaExceeded, QuotaService, QuotaStatus
from bot.checks.records import (
    DuplicateRequest,
    ExtendJobRequest,
    ImageRef,
    JobRequest,
    OfferedRefusal,
    Refusal,
)

__all__ = [
    "MIN_SIDE",
    "BudgetExceeded",
    "BudgetStatus",
    "CheckedImage",
    "DuplicateRequest",
    "ExtendJobRequest",
    "FlagRejected",
    "ImageFetcher",
    "ImageNotSendable",
    "ImageRef",
    "ImageRejected",
    "JobRequest",
    "OfferedRefusal",
    "PromptRejected",
    "ProviderImages",
    "QuotaExceeded",
    "QuotaService",
    "QuotaStatus",
    "Refusal",
    "clean_prompt",
    "merge_option",
    "parse_prompt",
    "provider_flags",
    "provider_prompt",
    "provider_words",
    "shorten",
    "validate_attachment_metadata",
]
