"""Shared pytest fixtures: the CometAPI double and a client pointed at it."""

pytest_plugins = ["tests.doubles.fixtures_cometapi"]
