"""The job tracker: a queued job through the provider to its outcome, announced as events.

``JobTracker`` runs one loop: the dispatchers choose who goes to the provider next (fair queue,
running cap, member limits, busy back-off; in the database when several processes share it),
submissions are sent, in-flight jobs polled in batches on an adaptive schedule, outcomes stored then
announced (``JobEvent`` on the ``EventBus``); leases, late watch, success writes and capacity waits
keep every provider outcome. May import: ``bot.provider``, ``bot.checks``, ``bot.store``, ``bot.ops``
and the shared vocabulary.
"""

from bot.tracking.dispatcher import EXACT_POSITIONS, QueuePlace, QueueView
from bot.tracking.events import JobEvent, JobEventKind
from bot.tracking.tracker import JobTracker, TrackerHalted

__all__ = [
    "EXACT_POSITIONS",
    "JobEvent",
    "JobEventKind",
    "JobTracker",
    "QueuePlace",
    "QueueView",
    "TrackerHalted",
]
