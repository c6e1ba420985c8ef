"""The SQLite engine of the job store: its connections, schema and migrations, SQL, instance lock.

Private to ``bot.store``: its modules import these; every other package imports from ``bot.store``.
"""

__all__: list[str] = []
