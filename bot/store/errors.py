"""Exceptions raised by the job store (re-exported by ``bot.store``)."""

from __future__ import annotations

from bot.models import Job, JobStatus


class StoreError(Exception):
    """The job store cannot do what was asked; the message says why and what to do."""


class JobNotFound(StoreError):  # noqa: N818 - the name reads as the condition, like FileNotFoundError
    """No job has the given id."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


class InvalidTransition(StoreError):  # noqa: N818 - part of the documented store contract
    """A status change that the job life cycle does not allow; the row was left unchanged."""

    def __init__(self, job_id: int, current: JobStatus, action: str) -> None:
        super().__init__(f"job {job_id} is {current.value}; cannot {action}")
        self.job_id = job_id
        self.current = current
        self.action = action


class TooLateToCancel(InvalidTransition):
    """The job already has its result (being delivered, delivered, failed) or was cancelled before."""

    def __init__(self, job_id: int, current: JobStatus) -> None:
        super().__init__(job_id, current, "cancel it")


class DuplicateJob(Exception):  # noqa: N818 - reads as the condition, like FileExistsError
    """The member already has a recent job from the same source message and trigger; nothing was stored."""

    def __init__(self, existing: Job) -> None:
        super().__init__(f"job {existing.id} already comes from this source")
        self.job = existing
