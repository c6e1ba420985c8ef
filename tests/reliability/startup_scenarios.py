"""Start-up stages of the real ``python -m bot`` held still by a Discord (or database) that does not answer.

Each ``Stage`` points the child at one silent server and knows when the child has reached it, so a
test can let the wait run out or send a signal right there. ``LoggedProcess`` reads the child's output
line by line as it comes, so a test awaits a line instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.notify import ChangeNotifier
from tests.doubles.discord.silence import MuteServer, QuietGateway
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.reliability.subprocess_bot import REPO, bot_command, bot_environment, double_settings

LEVEL = re.compile(r"^\S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL)\s")
LOUD = ("WARNING", "ERROR", "CRITICAL")
# What a start-up that was stopped, or gave up, must never print.
CRASH_SIGNS = ("Traceback", "Unclosed", "Task was destroyed", "Connector is closed", "unexpected error")
LOGIN = "GET /users/@me"
GATEWAY_BOT = "GET /gateway/bot"
COMMANDS = "PUT /applications/{application_id}/commands"


@dataclass
class Silence:
    """Everything a stage may point the bot at: the doubles, a mute port and two quiet gateways."""

    discord: DiscordDouble
    comet: CometAPIDouble
    mute: MuteServer
    no_hello: QuietGateway
    no_ready: QuietGateway
    folder: Path

    @property
    def database(self) -> Path:
        """The SQLite file the child uses (unless a stage gives it a DATABASE_URL)."""
        return self.folder / "motionbot.sqlite3"

    def settings(self, stage: Stage, **overrides: object) -> dict[str, object]:
        """The child's settings: both doubles, with ``stage``'s silent server in place."""
        settings = {**stage.overrides(self), **overrides}
        return double_settings(self.discord, self.comet, self.database, **settings)


@contextlib.asynccontextmanager
async def silent_discord(folder: Path) -> AsyncIterator[Silence]:
    """Start the Discord and CometAPI doubles, a mute port and the two quiet gateways."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
        MuteServer() as mute,
        QuietGateway(hello=False) as no_hello,
        QuietGateway(hello=True) as no_ready,
    ):
        yield Silence(discord, comet, mute, no_hello, no_ready, folder)


@dataclass(frozen=True)
class Stage:
    """A start-up stage: how to make it hang, how to know the bot is in it, and what it waits for."""

    name: str
    overrides: Callable[[Silence], dict[str, object]]
    reached: Callable[[Silence], Awaitable[None]]
    waits_for: Callable[[Silence], str] = lambda silence: ""
    setting: str = ""
    hold: str | None = None

    def prepare(self, silence: Silence) -> None:
        """Hold the stage's REST answer, if it has one."""
        if self.hold is not None:
            silence.discord.holds.hold(self.hold)


def _held(route: str) -> Callable[[Silence], Awaitable[None]]:
    return lambda silence: silence.discord.holds.wait_held(route, timeout=30)


def _no_overrides(silence: Silence) -> dict[str, object]:
    return {}


def _rest(silence: Silence, route: str) -> str:
    return f"an answer to {route} from the REST API at {silence.discord.api_base_url}"


MUTE_REST = Stage(
    "login to a REST port that never answers",
    lambda s: {"discord_api_base_url": s.mute.url("http", "/api/v10")},
    lambda s: s.mute.wait_accepted(),
    lambda s: f"an answer to {LOGIN} from the REST API at {s.mute.url('http', '/api/v10')}",
    "DISCORD_API_BASE_URL",
)
HELD_LOGIN = Stage(
    "login answer held", _no_overrides, _held(LOGIN), lambda s: _rest(s, LOGIN), "DISCORD_API_BASE_URL", LOGIN
)
HELD_GATEWAY_BOT = Stage(
    "GET /gateway/bot answer held",
    _no_overrides,
    _held(GATEWAY_BOT),
    lambda s: _rest(s, GATEWAY_BOT),
    "DISCORD_API_BASE_URL",
    GATEWAY_BOT,
)
HELD_COMMANDS = Stage("command sync answer held", _no_overrides, _held(COMMANDS), hold=COMMANDS)


def _gateway_stage(
    name: str, url: Callable[[Silence], str], reached: Callable[[Silence], Awaitable[None]], frame: str
) -> Stage:
    """A stage where the gateway at ``url`` never sends ``frame`` (HELLO or READY) to shard 0."""
    return Stage(
        name,
        lambda s: {"discord_gateway_url": url(s)},
        reached,
        lambda s: f"{frame} from the gateway at {url(s)} (shard 0)",
        "DISCORD_GATEWAY_URL",
    )


MUTE_GATEWAY = _gateway_stage(
    "gateway port that never answers the upgrade",
    lambda s: s.mute.url("ws", "/"),
    lambda s: s.mute.wait_accepted(),
    "HELLO",
)
NO_HELLO = _gateway_stage(
    "gateway that never sends HELLO",
    lambda s: s.no_hello.url,
    lambda s: s.no_hello.wait_connected(),
    "HELLO",
)
NO_READY = _gateway_stage(
    "gateway that never sends READY",
    lambda s: s.no_ready.url,
    lambda s: s.no_ready.wait_identified(),
    "READY",
)
MUTE_DATABASE = Stage(
    "PostgreSQL that never answers (before login)",
    lambda s: {"database_url": f"postgresql://motionbot:secret@127.0.0.1:{s.mute.port}/motionbot"},
    lambda s: s.mute.wait_accepted(),
)


@dataclass
class LoggedProcess:
    """A ``python -m bot`` child whose output (stdout and stderr) is read line by line as it comes."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)
    _changed: ChangeNotifier = field(default_factory=ChangeNotifier)
    _reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._changed.notify()

    @property
    def text(self) -> str:
        """Everything the child printed so far."""
        return "\n".join(self.lines)

    async def wait_line(self, fragment: str, timeout: float) -> str:
        """Return the first line containing ``fragment``; fail (with the output) after ``timeout`` s."""
        found = lambda: next((line for line in self.lines if fragment in line), None)  # noqa: E731
        try:
            return await self._changed.wait_for(found, timeout, repr(fragment))
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; the bot printed:\n{self.text}") from None

    def send(self, signum: signal.Signals) -> None:
        """Send ``signum`` to the child."""
        self.process.send_signal(signum)

    async def wait_exit(self, timeout: float) -> int:
        """Wait for the child to exit and its output to be read; fail (with the output) after ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                code = await self.process.wait()
                if self._reader is not None:
                    await self._reader
        except TimeoutError:
            raise AssertionError(f"still running after {timeout} s; it printed:\n{self.text}") from None
        return code


@contextlib.asynccontextmanager
async def bot_process(
    settings: Mapping[str, object], folder: Path, *args: str, env_file: Path | None = None
) -> AsyncIterator[LoggedProcess]:
    """Run ``python -m bot ARGS`` with ``settings``; a child still running when the block ends is killed."""
    process = await asyncio.create_subprocess_exec(
        *bot_command(env_file or folder / "no-such-file.env", *args),
        cwd=REPO,
        env=bot_environment(settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    child = LoggedProcess(process)
    child._reader = asyncio.ensure_future(child._read())
    try:
        yield child
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await asyncio.gather(child._reader, return_exceptions=True)


async def stopped_at(
    stage: Stage, folder: Path, signum: signal.Signals, timeout: float
) -> tuple[Silence, LoggedProcess, int]:
    """Run ``python -m bot run`` until it is in ``stage``, send ``signum`` there, and wait for its exit."""
    async with silent_discord(folder) as silence:
        stage.prepare(silence)
        async with bot_process(silence.settings(stage), folder, "run") as bot:
            await stage.reached(silence)
            bot.send(signum)
            code = await bot.wait_exit(timeout)
    return silence, bot, code


def loud_lines(lines: list[str]) -> list[str]:
    """The log lines at WARNING or above."""
    return [line for line in lines if (match := LEVEL.match(line)) and match.group(1) in LOUD]


def crash_signs(text: str) -> list[str]:
    """The signs of a crash or of something left open found in ``text``."""
    return [sign for sign in CRASH_SIGNS if sign in text]
