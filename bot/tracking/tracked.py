"""Everything the tracker keeps about one job, in one record, made and dropped in one place.

``TrackedJobs`` holds a ``TrackedJob`` for every job this process's tracker handles: waiting for a
provider slot, at the provider, with a provider success still to be stored, or timed out by the bot
and watched for a late result. The poll schedule, the capacity waits, the success writes and the
late watch keep what they know of a job in its record's fields, never in maps of their own, so a job
is forgotten whole: when nothing is left to do for it (``release``), or at once (``drop``: it was
cancelled, or another process holds it now). The only other place a job's id lives is the
dispatcher's line, which the tracker leaves together with these.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, ValuesView
from dataclasses import dataclass

from bot.models import Job
from bot.tracking.schedule import PollState


@dataclass(slots=True)
class PendingSuccess:
    """A success to store: the job as last known, its clips, the failed attempts and the next try."""

    job: Job
    clip_urls: tuple[str, ...]
    attempts: int = 0
    due: float = math.inf  # infinite while a write is in flight


@dataclass(slots=True)
class TrackedJob:
    """What the tracker keeps about one job; ``job`` is set by ``TrackedJobs`` only.

    The parts of an active job (``poll``, ``misses``, ``refused_since``) end with its activity;
    ``success`` and ``late`` may outlive it (a success stored late, a job the bot timed out).
    """

    job: Job  # the latest stored version the tracker acts on
    poll: PollState | None = None  # when to poll it next, while it is at the provider
    misses: int = 0  # polls in a row whose batched listing left its task out
    refused_since: dt.datetime | None = None  # the first "no account instance" answer to its submits
    success: PendingSuccess | None = None  # a provider success whose store write has not landed yet
    late: bool = False  # timed out by the bot, its provider task polled slowly for a late result

    @property
    def idle(self) -> bool:
        """Return True when nothing is left to do for the job in this process."""
        return not self.job.status.is_active and self.success is None and not self.late

    def end_activity(self) -> None:
        """Forget what only an active job needs (its job stopped waiting or running)."""
        self.poll = None
        self.misses = 0
        self.refused_since = None


class TrackedJobs:
    """One ``TrackedJob`` per job the tracker handles, and the active ones' latest versions."""

    def __init__(self) -> None:
        self._records: dict[int, TrackedJob] = {}
        # Derived from the records (job status active), kept here with them: the dispatcher reads it
        # as a plain mapping every cycle.
        self._active: dict[int, Job] = {}

    def __iter__(self) -> Iterator[int]:
        return iter(self._records)

    def get(self, job_id: int) -> TrackedJob | None:
        """Return the job's record, or None when the tracker does not handle it."""
        return self._records.get(job_id)

    def values(self) -> ValuesView[TrackedJob]:
        """Return every record (a live view: copy it to drop records while going through them)."""
        return self._records.values()

    @property
    def active(self) -> Mapping[int, Job]:
        """The active jobs (waiting, being sent, at the provider) by id, as last stored."""
        return self._active

    def polled(self) -> Iterator[tuple[int, PollState]]:
        """Yield the jobs at the provider with their poll times."""
        return ((job_id, r.poll) for job_id, r in self._records.items() if r.poll is not None)

    def track(self, job: Job) -> None:
        """Record ``job`` as its latest stored version.

        An active job gets a record if it had none. A job that is no longer active loses its active
        parts, and its record goes when nothing else is left (no success to store, no late watch).
        """
        record = self._records.get(job.id)
        if record is None and not job.status.is_active:
            return
        record = record or self._open(job)
        self._set_job(record, job)
        if not job.status.is_active:
            record.end_activity()
            self.release(record)

    def hold(self, job: Job) -> TrackedJob:
        """Return the job's record, made if needed, with ``job`` as its latest version."""
        record = self._records.get(job.id) or self._open(job)
        self._set_job(record, job)
        return record

    def release(self, record: TrackedJob) -> None:
        """Drop ``record`` when nothing is left to do for its job (a record dropped before is left alone)."""
        if record.idle and self._records.get(record.job.id) is record:
            self._forget(record.job.id)

    def drop(self, job_id: int) -> None:
        """Forget the job whole, whatever is left to do for it."""
        self._forget(job_id)

    def _open(self, job: Job) -> TrackedJob:
        # The one place a record is made.
        record = self._records[job.id] = TrackedJob(job)
        return record

    def _set_job(self, record: TrackedJob, job: Job) -> None:
        record.job = job
        if job.status.is_active:
            self._active[job.id] = job
        else:
            self._active.pop(job.id, None)

    def _forget(self, job_id: int) -> None:
        # The one place a record is dropped.
        self._active.pop(job_id, None)
        self._records.pop(job_id, None)
