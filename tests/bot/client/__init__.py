"""Tests of bot/client/: the command scopes record, literal text."""
