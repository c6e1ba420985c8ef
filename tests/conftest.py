"""Shared pytest fixtures: the CometAPI double, the Discord double, clients pointed at them, and the
job store on each engine (with the private PostgreSQL server it needs)."""

pytest_plugins = [
    "tests.doubles.fixtures_cometapi",
    "tests.doubles.fixtures_discord",
    "tests.postgres_fixture",
    "tests.store_fixtures",
]
