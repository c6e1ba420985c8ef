"""Shared pytest fixtures: the CometAPI and Discord doubles, clients pointed at them, the private
PostgreSQL server, the local S3 server, and the job store on each engine."""

pytest_plugins = [
    "tests.doubles.fixtures_cometapi",
    "tests.doubles.fixtures_discord",
    "tests.postgres_server",
    "tests.s3_server",
    "tests.store_fixtures",
]


def pytest_configure(config):  # type: ignore[no-untyped-def]
    """Register the markers the suite uses."""
    config.addinivalue_line("markers", "slow: takes tens of seconds (runs real scripts in a fresh clone)")
