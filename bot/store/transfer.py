"""Moving an SQLite job store into an empty PostgreSQL one: history, settings, the ledger, consent.

Everything moves: jobs, servers' settings and role allowances, usage, the ledger, meta values and requests
for consent (ids kept: the poster's buttons in Discord name them).

``read_snapshot`` reads the whole SQLite file in one read transaction and refuses while a job still
needs the bot (queued to succeeded); ``write_snapshot`` copies it into PostgreSQL in ONE transaction,
refusing a database that already holds anything, and moves the job id identity past every id SQLite
ever gave (provider ``state`` tags are built from job ids, so one must never be given twice). Jobs keep
their ids and every column; their lease owners stay NULL so the first process on PostgreSQL claims what
still needs a process (an unannounced failure, a late watch).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from bot.models import ACTIVE_STATUSES, Job, JobStatus
from bot.store.consents import consent_copy_params
from bot.store.engine import Engine, Tx
from bot.store.errors import StoreError
from bot.store.postgres import sql as postgres_sql
from bot.store.postgres.engine import PostgresTx
from bot.store.rows import (
    Row,
    decode_time,
    guild_settings_from_row,
    guild_settings_params,
    job_copy_params,
    job_from_row,
    role_allowance_from_row,
    role_allowance_params,
)
from bot.store.sqlite import sql as sqlite_sql

# A job in one of these still needs the bot that made it: copying it would leave it to no one.
UNFINISHED = ACTIVE_STATUSES | {JobStatus.SUCCEEDED}

Params = tuple[object, ...]
# COUNT_ROWS's columns, as the refusal names them.
# Per table: the words for one row and for several, as the summary and the refusal print them.
HELD = {
    "jobs": ("job", "jobs"),
    "guild_settings": ("server's settings", "servers' settings"),
    "role_allowances": ("role allowance", "role allowances"),
    "usage": ("usage row", "usage rows"),
    "ledger": ("ledger row", "ledger rows"),
    "meta": ("meta value", "meta values"),
    "consent_requests": ("request for consent", "requests for consent"),
}


def counted(count: int, table: str) -> str:
    """Return ``count`` with the table's word for one row or for several ("1 job", "2 jobs")."""
    one, several = HELD[table]
    return f"{count} {one if count == 1 else several}"


class TransferRefused(StoreError):  # noqa: N818 - reads as the condition, like AlreadyRunning
    """The move was refused before anything was written; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Everything an SQLite store holds, as ``postgres_sql`` copy parameters (id order for jobs)."""

    source: str
    jobs: tuple[Params, ...]
    guild_settings: tuple[Params, ...]
    role_allowances: tuple[Params, ...]
    usage: tuple[Params, ...]
    ledger: tuple[Params, ...]
    meta: tuple[Params, ...]
    # The highest job id the source ever gave (deleted jobs included).
    last_job_id: int
    # issue 22 (consent): requests for consent, ids kept (the buttons in Discord name them).
    consent_requests: tuple[Params, ...] = ()
    last_consent_id: int = 0

    def summary(self, target: str) -> str:
        """Return the one line that reports a finished move into ``target``."""
        rows = {
            "jobs": self.jobs,
            "guild_settings": self.guild_settings,
            "role_allowances": self.role_allowances,
            "usage": self.usage,
            "ledger": self.ledger,
            "meta": self.meta,
            "consent_requests": self.consent_requests,
        }
        copied = ", ".join(counted(len(found), table) for table, found in rows.items())
        return f"copied {copied} from {self.source} to {target}"


async def read_snapshot(source: Engine) -> Snapshot:
    """Read every row of the SQLite ``source`` in one snapshot; ``TransferRefused`` if a job is unfinished."""
    if source.name != "sqlite":
        raise ValueError(f"can only move from an SQLite store, not {source.describe()}")

    async def work(tx: Tx) -> Snapshot:
        jobs = [job_from_row(row) for row in await tx.rows(sqlite_sql.ALL_JOBS)]
        refuse_unfinished(source.describe(), jobs)
        settings = await tx.rows(sqlite_sql.ALL_GUILD_SETTINGS)
        allowances = await tx.rows(sqlite_sql.ALL_ROLE_ALLOWANCES)
        usage = await tx.rows(sqlite_sql.ALL_USAGE)
        ledger = await tx.rows(sqlite_sql.ALL_LEDGER)
        meta = await tx.rows(sqlite_sql.ALL_META)
        sequence = await tx.rows(sqlite_sql.JOBS_SEQUENCE)
        consents = await tx.rows(sqlite_sql.ALL_CONSENTS)
        consent_sequence = await tx.rows(sqlite_sql.CONSENTS_SEQUENCE)
        return Snapshot(
            source=source.describe(),
            jobs=tuple(job_copy_params(job) for job in jobs),
            guild_settings=tuple(
                guild_settings_params(guild_settings_from_row(row), decode_time(row["updated_at"]))
                for row in settings
            ),
            role_allowances=tuple(
                role_allowance_params(role_allowance_from_row(row), decode_time(row["updated_at"]))
                for row in allowances
            ),
            usage=tuple(
                (dt.date.fromisoformat(row["day"]), row["guild_id"], row["user_id"], row["succeeded"])
                for row in usage
            ),
            ledger=tuple(ledger_copy_params(row) for row in ledger),
            meta=tuple((row["key"], row["value"]) for row in meta),
            last_job_id=max([int(sequence[0][0]), *(job.id for job in jobs)]),
            consent_requests=tuple(consent_copy_params(row) for row in consents),
            last_consent_id=max([int(consent_sequence[0][0]), *(row["id"] for row in consents)]),
        )

    return await source.read(work)


def ledger_copy_params(row: Row) -> Params:
    """Return the ``COPY_LEDGER`` parameters of an SQLite ledger row (its day and times as values)."""
    settled = row["settled_at"]
    return (
        row["job_id"],
        row["person_id"],
        row["guild_id"],
        dt.date.fromisoformat(row["day"]),
        row["month"],
        row["units"],
        row["amount"],
        row["state"],
        decode_time(row["created_at"]),
        None if settled is None else decode_time(settled),
    )


def refuse_unfinished(source: str, jobs: list[Job]) -> None:
    """Raise ``TransferRefused`` naming how many jobs in ``source`` are unfinished, by status."""
    unfinished = Counter(job.status.value for job in jobs if job.status in UNFINISHED)
    if not unfinished:
        return
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(unfinished.items()))
    total = sum(unfinished.values())
    raise TransferRefused(
        f"the {source} still has {total} unfinished job{'s' if total != 1 else ''} ({statuses}); "
        "start the bot on it again, let them finish (/queue is empty), stop it, then move; nothing was copied"
    )


async def write_snapshot(target: Engine, snapshot: Snapshot) -> None:
    """Copy ``snapshot`` into the empty PostgreSQL ``target`` in one transaction.

    ``TransferRefused`` (nothing written) when the database already holds a job, a server's
    settings, a role allowance, a usage or ledger row, a meta value or a request for consent.
    """
    if target.name != "postgresql":
        raise ValueError(f"can only move into a PostgreSQL store, not {target.describe()}")

    async def work(tx: Tx) -> None:
        await tx.execute(postgres_sql.LOCK_FOR_MOVE)
        await refuse_non_empty(tx, target.describe())
        for statement, rows in (
            (postgres_sql.COPY_JOB, snapshot.jobs),
            (postgres_sql.UPSERT_GUILD_SETTINGS, snapshot.guild_settings),
            (postgres_sql.UPSERT_ROLE_ALLOWANCE, snapshot.role_allowances),
            (postgres_sql.COPY_USAGE, snapshot.usage),
            (postgres_sql.COPY_LEDGER, snapshot.ledger),
            (postgres_sql.UPSERT_META, snapshot.meta),
            (postgres_sql.COPY_CONSENT, snapshot.consent_requests),
        ):
            if rows:
                await postgres(tx).conn.executemany(statement, rows)
        if snapshot.last_job_id > 0:
            await tx.execute(postgres_sql.ADVANCE_JOB_IDS, (snapshot.last_job_id,))
        if snapshot.last_consent_id > 0:
            await tx.execute(postgres_sql.ADVANCE_CONSENT_IDS, (snapshot.last_consent_id,))

    await target.write(work)


def postgres(tx: Tx) -> PostgresTx:
    """Return ``tx`` as the PostgreSQL transaction it is (its connection sends many rows at once)."""
    if not isinstance(tx, PostgresTx):
        raise TypeError(f"expected a PostgreSQL transaction, not {type(tx).__name__}")
    return tx


async def refuse_non_empty(tx: Tx, target: str) -> None:
    """Raise ``TransferRefused`` naming what the PostgreSQL database already holds, if anything."""
    (row,) = await tx.rows(postgres_sql.COUNT_ROWS)
    held = [counted(row[table], table) for table in HELD if row[table]]
    if held:
        raise TransferRefused(
            f"the {target} already holds {', '.join(held)}; move into an empty database "
            "(create a new one, or drop and recreate this one); nothing was copied"
        )
