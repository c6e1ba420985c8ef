"""The instance lock: one holder per database, released with its holder, naming the holder's pid."""

import os

import pytest

from bot.store import StoreError
from bot.store.sqlite.instance_lock import AlreadyRunning, instance_lock, lock_path


def test_a_second_holder_is_refused_naming_the_first_pid_and_the_fix(tmp_path):
    database = tmp_path / "motionbot.sqlite3"
    with instance_lock(database) as path:
        assert path == lock_path(database) == tmp_path / "motionbot.sqlite3.lock"
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(AlreadyRunning) as caught, instance_lock(database):
            pass  # pragma: no cover - never entered
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message and str(database) in message and "DATABASE_PATH" in message
    assert "\n" not in message
    assert isinstance(caught.value, StoreError)  # so the entry point prints it as one line, exit 2


def test_the_lock_is_free_again_once_released(tmp_path):
    database = tmp_path / "motionbot.sqlite3"
    with instance_lock(database):
        pass
    with instance_lock(database):
        pass


def test_another_database_in_the_same_folder_has_its_own_lock(tmp_path):
    with instance_lock(tmp_path / "one.sqlite3"), instance_lock(tmp_path / "two.sqlite3"):
        pass


def test_an_unusable_lock_location_is_a_store_error(tmp_path):
    with (
        pytest.raises(StoreError, match="lock file"),
        instance_lock(tmp_path / "missing" / "motionbot.sqlite3"),
    ):
        pass  # pragma: no cover - never entered
