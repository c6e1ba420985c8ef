"""The PostgreSQL engine of the job store: its connection pool, schema and migrations, and SQL.

Private to ``bot.store``: its modules import these; every other package imports from ``bot.store``.
"""

__all__: list[str] = []
