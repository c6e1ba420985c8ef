"""Tests of cogs/cards/: the job card's layout and texts."""
