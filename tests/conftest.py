"""Shared pytest fixtures: the CometAPI and Discord doubles, clients pointed at them, and PostgreSQL."""

pytest_plugins = [
    "tests.doubles.fixtures_cometapi",
    "tests.doubles.fixtures_discord",
    "tests.postgres_server",
]
