"""The job store's queries and its small settings and meta writes, shared by ``JobStore``.

Reads run in a read transaction (``Engine.read``) and never wait for a write; the per-server settings
and meta values are written here too because they are not job transitions. Written once for both
engines: the statement texts come from the transaction's dialect (``tx.sql``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.models import GuildSettings, Job, JobStatus, RoleAllowance
from bot.store.core import StoreCore
from bot.store.engine import Tx, fetch_int, fetch_job, fetch_jobs
from bot.store.rows import (
    guild_settings_from_row,
    guild_settings_params,
    role_allowance_from_row,
    role_allowance_params,
    utc,
)


class JobQueries(StoreCore):
    """Listing and counting jobs, per-server settings and meta values."""

    async def unannounced_failures(self) -> list[Job]:
        """Return failed, timed-out and cancelled jobs whose final state was never shown, oldest first."""
        return await self._db.read(lambda tx: fetch_jobs(tx, tx.sql.UNANNOUNCED_FAILURES, ()))

    async def get_job_by_card(self, message_id: int) -> Job | None:
        """Return the job whose card is the message ``message_id``, or None if it is no job's card."""
        return await self._db.read(lambda tx: fetch_job(tx, tx.sql.SELECT_JOB_BY_CARD, (message_id,)))

    async def jobs_with_status(self, *statuses: JobStatus) -> list[Job]:
        """Return every job in one of ``statuses``, oldest first."""
        wanted = [status.value for status in statuses]
        return await self._db.read(lambda tx: fetch_jobs(tx, tx.sql.JOBS_WITH_STATUS, (wanted,)))

    async def late_watch_jobs(self, since: dt.datetime) -> list[Job]:
        """Return jobs the bot timed out itself since ``since`` that have a provider task, oldest first."""
        params = (utc(since),)
        return await self._db.read(lambda tx: fetch_jobs(tx, tx.sql.LATE_WATCH_JOBS, params))

    async def count_by_status(self) -> dict[JobStatus, int]:
        """Return how many jobs are in each status (every status present, zeros included)."""

        async def work(tx: Tx) -> dict[JobStatus, int]:
            counts = dict.fromkeys(JobStatus, 0)
            for row in await tx.rows(tx.sql.COUNT_BY_STATUS):
                counts[JobStatus(row["status"])] = int(row["jobs"])
            return counts

        return await self._db.read(work)

    async def recent_jobs(
        self, user_id: int, guild_id: int | None, *, limit: int, offset: int = 0
    ) -> list[Job]:
        """Return a page of the user's jobs in ``guild_id`` (None: direct messages), newest first."""
        if limit < 1 or offset < 0:
            raise ValueError(f"need limit >= 1 and offset >= 0, got limit={limit}, offset={offset}")
        params = (user_id, guild_id, limit, offset)
        return await self._db.read(lambda tx: fetch_jobs(tx, tx.sql.RECENT_JOBS, params))

    async def count_jobs(self, user_id: int, guild_id: int | None) -> int:
        """Return how many jobs the user has in ``guild_id`` (None: direct messages)."""
        return await self._db.read(lambda tx: fetch_int(tx, tx.sql.COUNT_JOBS, (user_id, guild_id)))

    async def count_active_jobs(self, guild_id: int) -> int:
        """Return the daily-limit units (``Job.cost``) the server's active jobs hold, without loading them."""
        return await self._db.read(lambda tx: fetch_int(tx, tx.sql.COUNT_ACTIVE_IN_GUILD, (guild_id,)))

    async def running_jobs(self, user_id: int) -> list[Job]:
        """Return the user's active jobs (queued to running) in every server, oldest first."""
        return await self._db.read(lambda tx: fetch_jobs(tx, tx.sql.RUNNING_JOBS, (user_id,)))

    async def all_jobs(self, *, since: dt.datetime | None = None) -> list[Job]:
        """Return every job (created at or after ``since``, when given) in id order, for export."""
        if since is None:
            return await self._db.read(lambda tx: fetch_jobs(tx, tx.sql.ALL_JOBS, ()))
        params = (utc(since),)
        return await self._db.read(lambda tx: fetch_jobs(tx, tx.sql.ALL_JOBS_SINCE, params))

    # -- settings and meta values -------------------------------------------------------------

    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        """Return the server's stored overrides, or None if it never saved any."""
        return await self._db.read(lambda tx: _guild_settings(tx, guild_id))

    async def update_guild_settings(
        self, guild_id: int, change: Callable[[GuildSettings], GuildSettings]
    ) -> GuildSettings:
        """Store ``change(current settings)`` and return it; read and write are one transaction.

        Two admins changing different settings at once both keep their change.
        """

        async def work(tx: Tx) -> GuildSettings:
            # The lock keeps two processes from both reading the old settings (no row yet to lock).
            await tx.lock(guild_id)
            updated = change(await _guild_settings(tx, guild_id) or GuildSettings(guild_id=guild_id))
            await tx.execute(tx.sql.UPSERT_GUILD_SETTINGS, guild_settings_params(updated, self._now()))
            return updated

        return await self._db.write(work)

    async def role_allowances(self, guild_id: int) -> list[RoleAllowance]:
        """Return the server's allowances per role, by role id."""

        async def work(tx: Tx) -> list[RoleAllowance]:
            rows = await tx.rows(tx.sql.SELECT_ROLE_ALLOWANCES, (guild_id,))
            return [role_allowance_from_row(row) for row in rows]

        return await self._db.read(work)

    async def set_role_allowance(self, allowance: RoleAllowance, *, most: int) -> bool:
        """Store ``allowance`` (replacing the role's own); False, nothing written, past ``most`` roles.

        The count and the write are one transaction, so two admins cannot both add the last one.
        """

        async def work(tx: Tx) -> bool:
            await tx.lock(allowance.guild_id)
            rows = await tx.rows(tx.sql.SELECT_ROLE_ALLOWANCES, (allowance.guild_id,))
            others = [row for row in rows if row["role_id"] != allowance.role_id]
            if len(others) >= most:
                return False
            await tx.execute(tx.sql.UPSERT_ROLE_ALLOWANCE, role_allowance_params(allowance, self._now()))
            return True

        return await self._db.write(work)

    async def remove_role_allowance(self, guild_id: int, role_id: int) -> bool:
        """Remove the role's allowance in the server; False when it had none."""

        async def work(tx: Tx) -> bool:
            return bool(await tx.rows(tx.sql.DELETE_ROLE_ALLOWANCE, (guild_id, role_id)))

        return await self._db.write(work)

    async def get_meta(self, key: str) -> str | None:
        """Return the meta value stored under ``key``, or None."""

        async def work(tx: Tx) -> str | None:
            rows = await tx.rows(tx.sql.SELECT_META, (key,))
            return next((str(row["value"]) for row in rows), None)

        return await self._db.read(work)

    async def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        await self._db.write(lambda tx: tx.execute(tx.sql.UPSERT_META, (key, value)))

    async def change_meta(self, key: str, value: str) -> bool:
        """Store ``value`` under ``key``; return False when it was already the value (nothing changed).

        Atomic across processes: of several storing the same value at once, exactly one gets True.
        """

        async def work(tx: Tx) -> bool:
            return bool(await tx.rows(tx.sql.CHANGE_META, (key, value)))

        return await self._db.write(work)


async def _guild_settings(tx: Tx, guild_id: int) -> GuildSettings | None:
    rows = await tx.rows(tx.sql.SELECT_GUILD_SETTINGS, (guild_id,))
    return next((guild_settings_from_row(row) for row in rows), None)
