"""The job store: one interface (``JobStore``) on SQLite (embedded, the default) or PostgreSQL (shared).

``JobStore.open(path)`` opens an SQLite file, ``JobStore.open_postgres(url)`` a PostgreSQL database that
several Motionbot processes may share through leases. Both run the same migrations (one per dialect
under ``bot/store/migrations/``) and behave the same; see ``docs/architecture.md``.

This package also owns opening the store the settings choose (``open_store``, ``inspect_database``
for ``doctor``, ``describe_database``), the SQLite instance lock, and the move to PostgreSQL. Its
modules and its engine folders (``sqlite/``, ``postgres/``) are its own: other packages import from
``bot.store`` only. May import: the shared vocabulary (``bot.models``, ``bot.settings``) only.
"""

from bot.store.database import describe_database, inspect_database, instance_guard, open_store
from bot.store.errors import (
    CancelWouldCharge,
    DuplicateJob,
    InvalidTransition,
    JobNotFound,
    LeaseLost,
    StoreError,
    TooLateToCancel,
)
from bot.store.inspection import Inspection
from bot.store.job_rules import DUPLICATE_WINDOW, late_success_allowed
from bot.store.job_store import (
    DEFAULT_BUSY_TIMEOUT_MS,
    DEFAULT_LEASE_SECONDS,
    DEFAULT_LOCK_RETRY_SECONDS,
    JobStore,
)
from bot.store.leases import Decide
from bot.store.spend_reports import Spend
from bot.store.sqlite.instance_lock import AlreadyRunning, instance_lock
from bot.store.transfer import TransferRefused

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_LOCK_RETRY_SECONDS",
    "DUPLICATE_WINDOW",
    "AlreadyRunning",
    "CancelWouldCharge",
    "Decide",
    "DuplicateJob",
    "Inspection",
    "InvalidTransition",
    "JobNotFound",
    "JobStore",
    "LeaseLost",
    "Spend",
    "StoreError",
    "TooLateToCancel",
    "TransferRefused",
    "describe_database",
    "inspect_database",
    "instance_guard",
    "instance_lock",
    "late_success_allowed",
    "open_store",
]
