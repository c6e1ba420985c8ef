"""Motionbot: turn images posted in Discord into short Midjourney videos through CometAPI."""

__version__ = "0.1.0"
