"""Tests of bot/media/: clip download, fitting, the delivery plan, /show's recall."""
