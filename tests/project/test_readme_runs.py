"""Every command of the README and bench/README.md runs, in a fresh clone, as a reader types it.

A reader follows the documents from the top: clones the repository, tries ``scripts/run`` (which stops
at once, saying the token is missing, as the troubleshooting table explains), copies ``.env.example``
and puts the two secrets in ``.env`` (the step the prose asks for), runs ``doctor``, ``invite`` and the
bot, and so on down to the benchmarks; ``scripts/test``, the other of the two first commands, comes
last (it is the developer's path, and it installs the test tools an admin never needs). Discord and
CometAPI are the loopback doubles, reached through the documented settings (``DISCORD_API_BASE_URL``,
``DISCORD_GATEWAY_URL``, ``COMETAPI_BASE_URL``) set in the reader's environment; ``HTTP_PORT`` is set
so ``/healthz`` and ``/metrics`` can be read. Blocks marked ``<!-- needs: ... -->`` are left out.

Each command must exit as documented and print only what the documents lead the reader to expect:
a ``text`` block right after a command's block is its output, compared line by line (addresses,
numbers and ids may differ); the bot runs until its documented ``ready as NAME in N servers`` line,
serves the documented health answer and metrics, and stops cleanly on Ctrl+C; benchmarks start and
print their documented first line (the quick ``core_bench`` runs to its end). Anything unmatched is
a failure, listed with the file and line of its block.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.postgres_server import free_port
from tests.project.readme_blocks import (
    REPO,
    Block,
    all_blocks,
    metrics_table,
    quote_pattern,
    readme_quote,
    readme_text,
    troubleshooting_quotes,
)
from tests.project.readme_session import Outcome, Session
from tests.project.test_readme_metrics import differences, exposed_metrics

# A log line of LOG_FORMAT=text: "2026-01-01T12:00:00+0000 INFO    bot.client.bot: message".
LOG_LINE = re.compile(r"^\S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+\S+: ")
BENCH_READY = re.compile(r"^running \(progress on stderr\):$")
START_TIMEOUT = 120.0
# Where the documents' examples have the reader's clone (the folder `git clone ... motionbot` made).
EXAMPLE_FOLDER = "/home/you/motionbot"


@dataclass(frozen=True)
class Step:
    """One command to type: where it is written, and the output the documents show for it, if any."""

    block: Block
    command: str
    output: str | None = None

    @property
    def where(self) -> str:
        """Return ``FILE:LINE `command```, for a failure message."""
        return f"{self.block.where} `{self.command}`"


def plan() -> list[Step]:
    """Return the commands of every unmarked shell block in reading order, ``scripts/test`` last."""
    blocks = all_blocks()
    steps: list[Step] = []
    for index, block in enumerate(blocks):
        if not block.is_shell or block.needs:
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        shown = (
            following.text
            if following and following.language == "text" and _adjacent(block, following)
            else None
        )
        for command in block.commands():
            steps += [Step(block, command.text, shown)]
            if command.alternative:
                steps += [Step(block, command.alternative, shown)]
    developer = [step for step in steps if step.command.startswith("scripts/test")]
    return [step for step in steps if step not in developer] + developer


def _adjacent(block: Block, following: Block) -> bool:
    """Return whether only blank lines separate ``block``'s closing fence from ``following``."""
    lines = block.path.read_text(encoding="utf-8").splitlines()
    closing = block.line + len(block.text.splitlines()) + 1
    return following.path == block.path and all(
        not line.strip() for line in lines[closing : following.line - 1]
    )


@dataclass
class Reader:
    """Types the steps into a session and notes every way they differ from what the documents say."""

    session: Session
    discord: DiscordDouble
    http_port: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, step: Step, ok: bool, what: str) -> None:
        """Note ``what`` against ``step`` unless ``ok``."""
        if not ok:
            self.problems.append(f"{step.where}: {what}")

    async def do(self, step: Step) -> None:
        """Run ``step`` with the first rule that fits it (a rule that cannot even check is noted too)."""
        rule = next((rule for pattern, rule in RULES if pattern.search(step.command)), plain_command)
        try:
            await rule(self, step)
        except AssertionError as exc:
            self.problems.append(f"{step.where}: {exc}")


# -- the rules ---------------------------------------------------------------------------------------


async def clone(reader: Reader, step: Step) -> None:
    """``git clone <this repository's URL> motionbot && cd motionbot``, from this checkout."""
    command = step.command.replace("<this repository's URL>", str(REPO))
    outcome = await reader.session.run(command, cwd=reader.session.folder)
    expected = [line for line in outcome.lines() if not re.match(r"Cloning into |done\.$", line)]
    reader.check(step, outcome.code == 0 and expected == [], outcome.describe())
    reader.session.take_uncommitted_changes()


async def plain_command(reader: Reader, step: Step) -> None:
    """A command that succeeds, printing nothing unless the documents show its output."""
    outcome = await reader.session.run(step.command)
    reader.check(step, outcome.code == 0, outcome.describe())
    if step.output is not None:
        compare_output(reader, step, outcome)
    else:
        reader.check(
            step, outcome.lines() == [], f"printed what the documents do not show: {outcome.lines()}"
        )


def compare_output(reader: Reader, step: Step, outcome: Outcome) -> None:
    """Compare what ``step`` printed with the output the documents show, line by line."""
    shown = [_normal(line) for line in (step.output or "").splitlines() if line.strip()]
    printed = [_normal(_in_example_folder(line, reader.session.clone)) for line in outcome.lines()]
    reader.check(step, printed == shown, f"printed\n  {printed}\nthe documents show\n  {shown}")


def _in_example_folder(line: str, clone: Path) -> str:
    """Return ``line`` with the clone's folder written as the documents' example folder."""
    for folder in {str(clone.resolve()), str(clone)}:
        line = line.replace(folder, EXAMPLE_FOLDER)
    return line


def _normal(line: str) -> str:
    """Return ``line`` with what legitimately differs (addresses, numbers, spacing) made alike."""
    line = re.sub(r"\bhttps?://\S+", "<url>", line)
    line = re.sub(r"\(bot [^,]+, id", "(bot <name>, id", line)  # your application's name
    return " ".join(re.sub(r"\d+", "<n>", line).split())


async def after_copying_env(reader: Reader, step: Step) -> None:
    """``cp .env.example .env``, then what the prose asks next: put the two secrets in ``.env``."""
    await plain_command(reader, step)
    env_file = reader.session.clone / ".env"
    text = env_file.read_text(encoding="utf-8")
    for name, value in (("DISCORD_TOKEN", reader.discord.token), ("COMETAPI_KEY", TEST_API_KEY)):
        reader.check(step, f"\n{name}=\n" in text, f".env.example has no empty {name}= line to fill in")
        text = text.replace(f"\n{name}=\n", f"\n{name}={value}\n")
    env_file.write_text(text, encoding="utf-8")


async def invite(reader: Reader, step: Step) -> None:
    """Prints the server invite (the scopes and exactly the permissions the README lists), then the
    personal install link (issue 22)."""
    outcome = await reader.session.run(step.command)
    permissions = re.search(r"`(permissions=\d+)`", readme_text())
    lines = outcome.lines()
    reader.check(step, outcome.code == 0 and len(lines) == 2, outcome.describe())
    url = lines[0].removeprefix("Add to a server: ") if lines else ""
    user = lines[-1] if lines else ""
    reader.check(step, "integration_type=1&scope=applications.commands" in user, f"user install: {user}")
    reader.check(
        step, permissions is not None and f"{permissions.group(1)}&" in url + "&", f"permissions: {url}"
    )
    reader.check(
        step, re.search(r"scope=bot(\+|%20)applications\.commands", url) is not None, f"scopes: {url}"
    )
    application = str(reader.discord.state.application_id)
    reader.check(step, f"client_id={application}" in url, f"not this application's id: {url}")


async def run_bot(reader: Reader, step: Step) -> None:
    """The bot: without ``.env`` it stops at once with a troubleshooting line; with it, runs until stopped."""
    if not (reader.session.clone / ".env").exists():
        await stops_with_a_troubleshooting_line(reader, step)
        return
    first_start = not (reader.session.clone / "data" / "motionbot.sqlite3").exists()
    async with reader.session.start(step.command) as bot:
        ready = await bot.wait_line(quote_pattern(readme_quote("ready as ")), START_TIMEOUT)
        reader.check(step, ready is not None, "never logged ready:\n" + "\n".join(bot.printed))
        if ready is None:
            return
        synced = quote_pattern(readme_quote("synced "))
        logged_sync = any(synced.search(line) for line in bot.printed)
        reader.check(
            step, logged_sync or not first_start, "the first start logged no `synced N application commands`"
        )
        await serves_health_and_metrics(reader, step)
        bot.signal(signal.SIGINT)  # Ctrl+C
        code = await bot.finish(timeout=30)
        reader.check(step, code == 0, f"Ctrl+C ended it with {code}:\n" + "\n".join(bot.printed[-20:]))
        odd = [line for line in bot.printed if line.strip() and not _expected_log_line(line)]
        reader.check(step, odd == [], "printed lines that are not INFO log lines:\n" + "\n".join(odd))


def _expected_log_line(line: str) -> bool:
    found = LOG_LINE.match(line)
    return (found is not None and found.group(1) == "INFO") or line.startswith("bootstrap: installing the ")


async def stops_with_a_troubleshooting_line(reader: Reader, step: Step) -> None:
    """Exit code 2, and every line printed is one the troubleshooting table quotes."""
    outcome = await reader.session.run(step.command)
    patterns = [quote_pattern(quote) for quote in troubleshooting_quotes()]
    unexplained = [line for line in outcome.lines() if not any(p.search(line) for p in patterns)]
    reader.check(step, outcome.code == 2 and outcome.lines() != [], outcome.describe())
    reader.check(step, unexplained == [], f"lines the troubleshooting table does not quote: {unexplained}")


async def serves_health_and_metrics(reader: Reader, step: Step) -> None:
    """``/healthz`` answers the README's healthy body and ``/metrics`` serves the README's table."""
    documented = re.search(r"`GET /healthz` → `200 (\{.*?\})`", readme_text())
    base = f"http://127.0.0.1:{reader.http_port}"
    async with aiohttp.ClientSession() as http:
        status, body = await _healthy(http, f"{base}/healthz")
        reader.check(step, documented is not None and status == 200, f"/healthz: {status} {body}")
        if documented is not None and status == 200:
            reader.check(step, json.loads(body) == json.loads(documented.group(1)), f"/healthz: {body}")
        async with http.get(f"{base}/metrics") as response:
            page = await response.text()
    for problem in differences(metrics_table(), exposed_metrics(page)):
        reader.check(step, False, f"/metrics: {problem}")


async def _healthy(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    """Return ``/healthz``'s answer once it is 200, or its last answer after 20 s (the tracker's first
    cycle ends soon after ready; nothing announces it outside the process)."""
    status, body = 0, ""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(20):
            while status != 200:
                async with http.get(url) as response:
                    status, body = response.status, await response.text()
                if status != 200:
                    await asyncio.sleep(0.2)
    return status, body


def export(wrote_quote: str, csv_header: str) -> Rule:
    """An export command (``jobs``, ``usage``): it succeeds, writes nothing to stderr but the README's
    ``wrote …`` line, and writes ``--output FILE`` (CSV: its header starts with ``csv_header``) when asked."""

    async def check(reader: Reader, step: Step) -> None:
        outcome = await reader.session.run(step.command)
        output = re.search(r"--output (\S+)", step.command)
        said = [line for line in outcome.lines() if line in outcome.stderr.splitlines()]
        wrote = quote_pattern(readme_quote(wrote_quote))
        reader.check(step, outcome.code == 0, outcome.describe())
        reader.check(step, all(output and wrote.fullmatch(line) for line in said), f"on stderr: {said}")
        if output:
            written = reader.session.clone / output.group(1)
            header = written.read_text(encoding="utf-8").splitlines()[:1] if written.exists() else []
            csv = header != [] and header[0].startswith(csv_header)
            reader.check(step, csv, f"{written} holds no CSV: {header}")

    return check


async def sqlite_backup(reader: Reader, step: Step) -> None:
    """``sqlite3 DB ".backup COPY"`` makes a copy at the database's schema version."""
    found = re.fullmatch(r'sqlite3 (\S+) "\.backup (\S+)"', step.command)
    assert found is not None, step.command
    if (await reader.session.run("command -v sqlite3")).code != 0:
        reader.notes.append(f"{step.where}: not run, the sqlite3 command is not installed here")
        return
    await plain_command(reader, step)
    original, copy = (reader.session.clone / name for name in found.groups())
    reader.check(step, copy.exists() and _version(copy) == _version(original), f"{copy} is not a copy")


def _version(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


async def bench_to_the_end(reader: Reader, step: Step) -> None:
    """The quick ``core_bench`` look: runs to its end and prints a verdict for each figure."""
    outcome = await reader.session.run(step.command, timeout=180)
    verdicts = re.findall(r"\s(PASS|MISS)$", outcome.stdout, re.MULTILINE)
    reader.check(step, outcome.code == 0 and len(verdicts) >= 5, outcome.describe())
    odd = [
        line
        for line in outcome.stderr.splitlines()
        if line in outcome.lines() and not BENCH_READY.match(line)
    ]
    reader.check(step, odd == [], f"unexpected lines on stderr: {odd}")


async def bench_starts(reader: Reader, step: Step) -> None:
    """A benchmark of minutes: it starts (installs, imports, reads its options), then is stopped."""
    async with reader.session.start(step.command) as bench:
        ready = await bench.wait_line(BENCH_READY, START_TIMEOUT)
        before = [line for line in bench.printed[:-1] if not line.startswith("bootstrap: installing the ")]
        reader.check(step, ready is not None and before == [], "did not start:\n" + "\n".join(bench.printed))


async def developer_tests(reader: Reader, step: Step) -> None:
    """``scripts/test`` runs ruff, mypy and pytest; here pytest runs one fast file (arguments go through,
    as the README says), not the suite this test is part of."""
    check = await reader.session.run("scripts/postgres-binaries --check")
    if check.code != 0:
        reader.notes.append(f"{step.where}: not run, it would install PostgreSQL: {check.lines()}")
        return
    outcome = await reader.session.run(
        f"{step.command} -q -p no:cacheprovider tests/project/test_readme_blocks.py", timeout=300
    )
    headers = iter(line for line in outcome.stdout.splitlines() if line.startswith("== "))
    expected = ["== ruff check", "== ruff format --check", "== mypy", "== pytest"]
    in_order = all(header in headers for header in expected)  # each found after the one before
    reader.check(step, outcome.code == 0 and in_order, outcome.describe())
    reader.check(step, re.search(r"\b\d+ passed\b", outcome.stdout) is not None, outcome.describe())


Rule = Callable[[Reader, Step], Awaitable[None]]
RULES: list[tuple[re.Pattern[str], Rule]] = [
    (re.compile(r"^git clone "), clone),
    (re.compile(r"^cp \.env\.example \.env$"), after_copying_env),
    (re.compile(r"^(scripts/run|\.venv/bin/python -m bot)( run)?$"), run_bot),
    (re.compile(r"^(scripts/run|\.venv/bin/python -m bot) invite$"), invite),
    (re.compile(r"^(scripts/run|\.venv/bin/python -m bot) jobs\b"), export("wrote N jobs", "id,")),
    (re.compile(r"^(scripts/run|\.venv/bin/python -m bot) usage\b"), export("wrote the spend", "kind,")),
    (re.compile(r"^sqlite3 "), sqlite_backup),
    (
        re.compile(r"^(scripts/bench |\S*python -m bench\.)core_bench --jobs \d+ --duration \d+ "),
        bench_to_the_end,
    ),
    (re.compile(r"^(scripts/bench |\S*python -m bench\.)"), bench_starts),
    (re.compile(r"^scripts/test$"), developer_tests),
]


@contextlib.asynccontextmanager
async def doubles() -> AsyncIterator[tuple[DiscordDouble, CometAPIDouble]]:
    """Start Discord (two servers, Message Content granted) and CometAPI doubles."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        await discord.add_guild("Second server")
        yield discord, comet


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_every_documented_command_runs_as_documented(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("the README's first command clones the repository: this copy is not a git checkout")
    http_port = free_port()
    async with doubles() as (discord, comet):
        settings = {
            "DISCORD_API_BASE_URL": discord.api_base_url,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
            "COMETAPI_BASE_URL": comet.base_url,
            "HTTP_PORT": str(http_port),
        }
        reader = Reader(Session(tmp_path, settings), discord, http_port)
        for step in plan():
            await reader.do(step)
    for note in reader.notes:
        print(note)
    assert not reader.problems, "\n\n".join(reader.problems)
