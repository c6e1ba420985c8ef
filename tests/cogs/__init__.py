"""Tests of cogs/, one folder per feature (the e2e suite drives them through Discord)."""
