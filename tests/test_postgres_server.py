"""The suite's private PostgreSQL server: one per pytest process, one fresh database per test."""

from __future__ import annotations

import os

import asyncpg
import pytest

from tests import postgres_server as pg


async def test_each_test_gets_an_empty_database_of_its_own_without_a_password(postgres_server, postgres_url):
    assert ":" not in postgres_url.removeprefix("postgresql://").split("@", 1)[0]  # no password
    assert postgres_url != postgres_server
    connection = await asyncpg.connect(postgres_url)
    try:
        tables = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        await connection.execute("CREATE TABLE scratch (id integer)")
        name = await connection.fetchval("SELECT current_database()")
    finally:
        await connection.close()
    assert tables == []
    assert postgres_url.endswith(f"/{name}")


async def test_the_private_server_runs_without_durability(postgres_server):
    if os.environ.get(pg.URL_VARIABLE):
        pytest.skip("an external server keeps its own settings")  # only with MOTIONBOT_TEST_POSTGRES_URL
    connection = await asyncpg.connect(postgres_server)
    try:
        values = [await connection.fetchval(f"SHOW {name}") for name in ("fsync", "synchronous_commit")]
    finally:
        await connection.close()
    assert values == ["off", "off"]


def test_a_database_url_keeps_the_server_and_the_options():
    url = "postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    assert pg.database_url(url, "x") == "postgresql://postgres@127.0.0.1:5432/x?sslmode=disable"
    assert pg.database_url("postgresql://h:1", "x") == "postgresql://h:1/x"


def test_missing_binaries_skip_locally_but_fail_on_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not available: why"):
        pg.unavailable("why")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is needed on CI: why"):
        pg.unavailable("why")


def test_the_newest_installed_server_is_found():
    bindir = pg.server_bindir()
    if bindir is None:
        pg.unavailable("no server binaries")
    assert (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()


def test_the_suite_uses_the_server_the_install_script_finds_and_its_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIONBOT_TEST_PG_CONFIG", "false")
    monkeypatch.setenv("MOTIONBOT_TEST_EUID", "1000")
    monkeypatch.setenv("MOTIONBOT_TEST_FAKE_APT_GET", str(tmp_path / "no-apt-get"))
    monkeypatch.setenv("MOTIONBOT_TEST_SYSTEM", "Linux")
    monkeypatch.setenv("MOTIONBOT_TEST_POSTGRES_SEARCH", f"{tmp_path}/opt/postgresql@*/bin")
    bindir, reason = pg.find_server()
    assert bindir is None
    assert "(PostgreSQL 14 or newer)" in reason and "install it with: your system's package manager" in reason
    keg = tmp_path / "opt" / "postgresql@16" / "bin"  # where Homebrew keeps a keg-only server
    keg.mkdir(parents=True)
    for tool in ("initdb", "pg_ctl"):
        (keg / tool).write_text("#!/bin/sh\n")
    (keg / "postgres").write_text('#!/bin/sh\necho "postgres (PostgreSQL) 16.4"\n')
    for tool in keg.iterdir():
        tool.chmod(0o755)
    assert pg.find_server() == (keg, "")
