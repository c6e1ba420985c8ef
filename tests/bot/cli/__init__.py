"""Tests of bot/cli/ and bot/__main__.py: the command line, doctor, jobs, move-to-postgres."""
