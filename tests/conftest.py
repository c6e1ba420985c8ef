"""Shared pytest fixtures: the CometAPI and Discord doubles, clients pointed at them, the private
PostgreSQL server, and the job store on each engine."""

pytest_plugins = [
    "tests.doubles.fixtures_cometapi",
    "tests.doubles.fixtures_discord",
    "tests.postgres_server",
    "tests.store_fixtures",
]
