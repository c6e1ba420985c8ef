"""Tests of bot/checks/: images, prompts and flags, quotas, the image the provider is sent."""
