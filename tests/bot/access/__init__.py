"""Tests of bot/access/: command permissions, the command gate, who may press a job's buttons."""
