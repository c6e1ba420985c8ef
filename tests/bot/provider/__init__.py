"""Tests of bot/provider/: the CometAPI client against the CometAPI double."""
