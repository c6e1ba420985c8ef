"""What the job store needs from a database engine, and the row helpers both engines share.

``JobStore`` is written once against these protocols: an ``Engine`` runs a unit of work in one
transaction (``read`` or ``write``) and hands it a ``Tx`` that runs statements in that transaction.
The statement texts come from the engine's dialect module (``sqlite_sql`` or ``postgres_sql``), which
both satisfy ``Statements``: same names, same parameters in the same order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from bot.models import Job
from bot.store.rows import Row, job_from_row

T = TypeVar("T")

# Keys of the process-wide locks a write can take (PostgreSQL advisory locks; SQLite's BEGIN
# IMMEDIATE already serialises every write). Below 2**32, so never equal to a Discord snowflake,
# which is what the other locks are keyed by (a source message, a server).
MIGRATION_LOCK = 0x4D42_0001
DISPATCH_LOCK = 0x4D42_0002
# Admission: the ledger's sums are read and the new job's reservation written by one process at a time,
# so two processes can never both take the last room in a budget or limit (bot.store.ledger).
ADMISSION_LOCK = 0x4D42_0003


class Statements(Protocol):
    """The SQL text of every store statement in one dialect (a module with these names)."""

    INSERT_JOB: str
    SELECT_JOB: str
    SELECT_JOB_FOR_UPDATE: str
    SELECT_SAME_SOURCE_JOB: str
    SELECT_JOB_ID_BY_TASK: str
    SELECT_JOB_BY_CARD: str
    MARK_SUBMITTING: str
    REQUEUE: str
    MARK_SUBMITTED: str
    UPDATE_PROGRESS: str
    MARK_SUCCEEDED: str
    MARK_FAILED: str
    MARK_CANCELLED: str
    MARK_DELIVERED: str
    MARK_FINAL_SHOWN: str
    MARK_PARTLY_DELIVERED: str
    SET_MISSING_CLIPS: str
    ADD_POST: str
    ADD_PRIVATE_POST: str
    MARK_DELETED: str
    COUNT_PARTLY_DELIVERED: str
    UNANNOUNCED_FAILURES: str
    SET_CARD_MESSAGE: str
    MAKE_PUBLIC: str
    STOP_LATE_WATCH: str
    FORGET_INTERACTION: str
    JOBS_WITH_STATUS: str
    LATE_WATCH_JOBS: str
    COUNT_BY_STATUS: str
    RECENT_JOBS: str
    COUNT_JOBS: str
    RUNNING_JOBS: str
    COUNT_ACTIVE_IN_GUILD: str
    ALL_JOBS: str
    ALL_JOBS_SINCE: str
    INSERT_LEDGER: str
    SELECT_LEDGER_ROW: str
    SETTLE_LEDGER: str
    SPEND: str
    CHARGED_TODAY: str
    SPEND_TOTALS: str
    SELECT_GUILD_SETTINGS: str
    UPSERT_GUILD_SETTINGS: str
    SELECT_ROLE_ALLOWANCES: str
    UPSERT_ROLE_ALLOWANCE: str
    DELETE_ROLE_ALLOWANCE: str
    SELECT_META: str
    UPSERT_META: str
    CHANGE_META: str
    RENEW_LEASES: str
    CLAIM_EXPIRED: str
    RELEASE_LEASES: str
    EXTEND_LEASE: str
    SERVED_SINCE: str
    DISPATCH_MOVE: str
    # spend reports (bot.store.spend_reports)
    SPEND_DAYS: str
    SPEND_DAYS_IN_GUILD: str
    SPEND_DAYS_OF_PERSON: str
    SPEND_PEOPLE: str
    SPEND_PEOPLE_IN_GUILD: str
    SPEND_GUILDS: str
    # issue 22 (consent): requests to animate another member's image (bot.store.consents)
    INSERT_CONSENT: str
    SELECT_CONSENT: str
    SELECT_BLOCKING_CONSENT: str
    SET_CONSENT_PROMPT: str
    DECIDE_CONSENT: str
    DUE_CONSENTS: str
    NEXT_CONSENT_EXPIRY: str


class Tx(Protocol):
    """One open transaction: runs statements of the engine's dialect inside it."""

    @property
    def sql(self) -> Statements:
        """The statement texts of this engine's dialect."""

    async def rows(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        """Run ``statement`` and return every row it yields."""

    async def execute(self, statement: str, params: Sequence[object] = ()) -> None:
        """Run ``statement`` whose rows are not needed."""

    async def lock(self, key: int) -> None:
        """Hold the process-wide lock ``key`` until this transaction ends (other processes wait)."""


Work = Callable[[Tx], Awaitable[T]]


class Engine(Protocol):
    """A database the store runs its transactions on."""

    @property
    def name(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""

    @property
    def shared(self) -> bool:
        """True when other processes may use the same store at the same time."""

    def describe(self) -> str:
        """Name the database for messages (never with a password)."""

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` in one read-only transaction that sees one consistent snapshot."""

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` in one write transaction; a StoreError or any exception rolls it back."""

    async def close(self) -> None:
        """Close every connection; later work raises ``StoreError``. Safe to call twice."""


async def fetch_job(tx: Tx, statement: str, params: Sequence[object]) -> Job | None:
    """Return the job in the first row ``statement`` yields, or None."""
    rows = await tx.rows(statement, params)
    return next((job_from_row(row) for row in rows), None)


async def fetch_jobs(tx: Tx, statement: str, params: Sequence[object]) -> list[Job]:
    """Return the jobs in every row ``statement`` yields, in the statement's order."""
    return [job_from_row(row) for row in await tx.rows(statement, params)]


async def fetch_jobs_by_id(tx: Tx, statement: str, params: Sequence[object]) -> list[Job]:
    """Return the jobs an ``UPDATE … RETURNING`` yields in id order (RETURNING promises no order)."""
    return sorted(await fetch_jobs(tx, statement, params), key=lambda job: job.id)


async def fetch_int(tx: Tx, statement: str, params: Sequence[object]) -> int:
    """Return the first column of the first row as an int (a COUNT or a SUM)."""
    rows = await tx.rows(statement, params)
    return int(rows[0][0])
