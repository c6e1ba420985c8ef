"""Shared pytest fixtures: the CometAPI double, the Discord double and clients pointed at them."""

pytest_plugins = ["tests.doubles.fixtures_cometapi", "tests.doubles.fixtures_discord"]
