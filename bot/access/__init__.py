"""Who may do what, and where: command permissions, job buttons, the ``/show`` rate.

Discord's command permission evaluation (pure, plain ids) and the per-server cache of them
(``CommandGate``), who may press a job's buttons (``check_may_press``), whether an image needs its
poster's consent (``consent_needed``), and a per-member sliding window rate (``MemberRate``). May
import: ``bot.checks`` (``Refusal``) and the shared vocabulary.
"""

from bot.access.command_gate import CommandGate
from bot.access.command_permissions import Access, Caller, CommandRef, parse_overwrites
from bot.access.consent import Consent, ImageOwner, consent_needed
from bot.access.member_rate import MemberRate
from bot.access.press_rules import JobAction, check_may_press

__all__ = [
    "Access",
    "Caller",
    "CommandGate",
    "CommandRef",
    "Consent",
    "ImageOwner",
    "JobAction",
    "MemberRate",
    "check_may_press",
    "consent_needed",
    "parse_overwrites",
]
