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


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    """Run the ``slow`` tests first: with pytest-xdist's load scheduling (items handed out round-robin in
    this order) each starts at once on a worker of its own, instead of near the end of the run, where a
    minute-long test would keep one worker busy long after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # a stable sort
