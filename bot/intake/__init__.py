"""Job intake: a request checked in order becomes a stored job handed to the tracker.

``JobIntake.precheck`` runs the fast checks before the surface answers Discord; ``start`` and
``extend`` fetch and check the image, take the quota slot, write the job and enqueue it. The request
records and ``Refusal`` live in ``bot.checks``. May import: ``bot.tracking``, ``bot.checks``,
``bot.store``, ``bot.ops``, ``bot.budget`` and the shared vocabulary.
"""

from bot.intake.job_intake import DEFAULT_PROMPT, JobIntake, check_extendable
from bot.intake.offers import OfferBook

__all__ = ["DEFAULT_PROMPT", "JobIntake", "OfferBook", "check_extendable"]
