"""Motionbot's test suite. ``REPO`` is the repository's root, for the tests that read or run its files."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
