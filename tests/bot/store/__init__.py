"""Tests of bot/store/: the job store on both engines, its migrations, the instance lock."""
