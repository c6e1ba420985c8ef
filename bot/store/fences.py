"""Fenced claims: a process about to act outside the database on a job proves it still holds it.

A provider submit or a clip upload cannot be taken back, and the database cannot stop a process that
was paused past its lease from making one. So right before such an act the process claims it here:
one write transaction that checks the job's ``lease_token`` is still the one the process claimed the
job with (``LeaseLost`` if another process took the job over meanwhile), that the job is in the
status the act needs, and renews this process's lease, so the job cannot expire under the act.
"""

from __future__ import annotations

from bot.models import Job, JobStatus
from bot.store.job_rules import DELIVERABLE
from bot.store.transitions import JobTransitions

SUBMITTABLE = frozenset({JobStatus.SUBMITTING})


class JobFences(JobTransitions):
    """The claims of ``JobStore`` that come right before an act the database cannot undo."""

    async def claim_submit(self, job_id: int, *, token: int) -> Job:
        """Confirm a SUBMITTING job is still ours to send (else ``LeaseLost``), renewing its lease.

        The shared dispatch moved the job to SUBMITTING under ``token``; another process that found its
        lease expired fails it as interrupted (bumping the token), and then the job must not be sent.
        """
        return await self._renew_one(job_id, token, SUBMITTABLE, "send it to the provider")

    async def claim_delivery(self, job_id: int, *, token: int) -> Job:
        """Confirm a SUCCEEDED job is still ours to deliver (else ``LeaseLost``), renewing its lease."""
        return await self._renew_one(job_id, token, DELIVERABLE, "deliver it")

    async def _renew_one(self, job_id: int, token: int, allowed: frozenset[JobStatus], action: str) -> Job:
        params = (*self._lease(self._now()), job_id)
        return await self._transition(job_id, allowed, action, lambda sql: sql.EXTEND_LEASE, params, token)
