"""Motionbot: turn images posted in Discord into short Midjourney videos through CometAPI."""

# Kept to what Python 3.8 can still run, so that `python3 -m bot` on a too-old Python says so in one
# line (exit 2, a configuration problem) instead of failing in a traceback on newer syntax.
from __future__ import annotations

import sys

__version__ = "0.1.0"
REQUIRED_PYTHON = (3, 11)


def python_problem(version: tuple[int, ...], executable: str) -> str | None:
    """Return the line refusing a Python older than ``REQUIRED_PYTHON`` (None when it is new enough)."""
    if version >= REQUIRED_PYTHON:
        return None
    found = ".".join(map(str, version))
    return (
        f"Motionbot needs Python 3.11 or newer, but {executable} is Python {found}. "
        "Debian/Ubuntu: sudo apt install python3.11 python3.11-venv, then PYTHON=python3.11 scripts/run."
    )


_problem = python_problem(tuple(sys.version_info[:3]), sys.executable)
if _problem is not None:
    print(_problem, file=sys.stderr)  # noqa: T201 - before anything else is imported
    raise SystemExit(2)
