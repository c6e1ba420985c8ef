"""Tests of bot/ops/: metrics, the health server, logs, watched waits."""
