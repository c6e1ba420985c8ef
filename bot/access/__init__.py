"""Who may do what, and where: command permissions, job buttons, the ``/show`` rate.

Discord's command permission evaluation (pure, plain ids) and the per-server cache of them
(``CommandGate``), who may press a job's buttons (``check_may_press``), and a per-member sliding
window rate (``MemberRate``). May import: ``bot.checks`` (``Refusal``) and the shared vocabulary.
"""

from bot.access.command_gate import CommandGate
from bot.access.command_permissions import Access, Caller, CommandRef, parse_overwrites
from bot.access.member_rate import MemberRate
from bot.access.press_rules import JobAction, check_may_press

__all__ = [
    "Access",
    "Caller",
    "CommandGate",
    "CommandRef",
    "JobAction",
    "MemberRate",
    "check_may_press",
    "parse_overwrites",
]
