"""Tests of bot/tracking/: the tracker, its dispatch, fair queue, leases and poll schedule."""
