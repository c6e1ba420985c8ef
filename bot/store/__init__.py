"""The job store: one interface (``JobStore``) on SQLite (embedded, the default) or PostgreSQL (shared).

``JobStore.open(path)`` opens an SQLite file, ``JobStore.open_postgres(url)`` a PostgreSQL database that
several Motionbot processes may share through leases. Both run the same migrations (one per dialect
under ``bot/store/migrations/``) and behave the same; see ``docs/architecture.md``.
"""

from bot.store.errors import (
    DuplicateJob,
    InvalidTransition,
    JobNotFound,
    LeaseLost,
    StoreError,
    TooLateToCancel,
)
from bot.store.job_store import (
    DEFAULT_BUSY_TIMEOUT_MS,
    DEFAULT_LEASE_SECONDS,
    DEFAULT_LOCK_RETRY_SECONDS,
    JobStore,
)
from bot.store.leases import Decide
from bot.store.rows import DUPLICATE_WINDOW

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_LOCK_RETRY_SECONDS",
    "DUPLICATE_WINDOW",
    "Decide",
    "DuplicateJob",
    "InvalidTransition",
    "JobNotFound",
    "JobStore",
    "LeaseLost",
    "StoreError",
    "TooLateToCancel",
]
