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


class LeaseLost(InvalidTransition):
    """Another process claimed the job since the caller did: its write was refused, the row left unchanged.

    The caller was paused (SIGSTOP, a VM pause, a long GC) past its lease, another process took the
    job over (bumping its ``lease_token``), and the caller is acting on what it knew before. It must
    drop that work without acting on it: the job is the other process's now.
    """

    def __init__(self, job_id: int, current: JobStatus, action: str, *, held: int, stored: int) -> None:
        super().__init__(job_id, current, action)
        claimed = f"job {job_id} was claimed by another process (lease token {stored}, ours {held})"
        self.args = (f"{claimed}; cannot {action}",)
        self.held = held
        self.stored = stored


class TooLateToCancel(InvalidTransition):
    """The job already has its result (being delivered, delivered, failed) or was cancelled before."""

    def __init__(self, job_id: int, current: JobStatus) -> None:
        super().__init__(job_id, current, "cancel it")


class CancelWouldCharge(InvalidTransition):
    """A cancel meant to be free found the job already at the provider: cancelling it now charges it."""

    def __init__(self, job_id: int, current: JobStatus) -> None:
        super().__init__(job_id, current, "cancel it free of charge")


class DuplicateJob(Exception):  # noqa: N818 - reads as the condition, like FileExistsError
    """The member already has a recent job from the same source message and trigger; nothing was stored."""

    def __init__(self, existing: Job) -> None:
        super().__init__(f"job {existing.id} already comes from this source")
        self.job = existing
