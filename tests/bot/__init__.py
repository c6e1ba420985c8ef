"""Tests of bot/: one folder per package (tests/bot/store/ for bot/store/), the shared vocabulary here."""
