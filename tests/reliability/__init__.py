"""Reliability and security suites (issue 5): restarts, provider and Discord faults, bad input, secrets."""
