"""The bad-input catalogue: everything Motionbot must refuse plainly, as data a test or a report replays.

``BAD_INPUTS`` lists ``BadInput`` cases: a name, how to trigger it (optional ``setup`` steps, then one
``action`` a member performs), and the catalogue key of the refusal the member must see, privately
and in their language (``None``: the input must be ignored without any message).
``tests.reliability.bad_input_replay.replay`` runs one case in a fresh world and judges it; both
``test_bad_inputs.py`` and ``bench/reliability_report.py`` use the two together.
"""

from __future__ import annotations

import asyncio
import struct
import warnings
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from bot.models import FailureKind, GuildSettings, JobSource, JobStatus, Motion, NewJob, Quality
from tests.doubles.discord import Perm, everyone
from tests.doubles.discord.interactions import InteractionHandle
from tests.doubles.discord.model import Channel, Message, User
from tests.doubles.media import image_bytes, jpeg_bytes, mp4_bytes, png_bytes, webp_bytes
from tests.e2e.harness import World
from tests.store_fixtures import save_settings

MIB = 1024 * 1024
FileSpec = tuple[str, bytes, str]
Setup = Callable[[World], Awaitable[None]]


# -- media --------------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims ``width``×``height`` (too big to build for real), IEND included."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def picture(width: int = 256, height: int = 256) -> bytes:
    """Return a real PNG of the given size."""
    return png_bytes(width=width, height=height)


TEXT = b"These are my holiday notes, not a picture.\n"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="9" height="9"/></svg>'
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64)


# -- actions: what the member does ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """Where the refusal must show up: an interaction's private answer or a DM (neither: silence).

    ``target`` is the message the member acted on (theirs, or a forged one) and may stay public.
    """

    handle: InteractionHandle | None = None
    dm_to: User | None = None
    target: Message | None = None


@dataclass(frozen=True)
class Animate:
    """``/animate`` with one attachment (and options) in a channel of the guild, or in a DM."""

    file: FileSpec = ("cat.png", b"", "image/png")
    prompt: str | None = None
    user: str = "alice"
    channel: str = "general"
    options: tuple[
        tuple[str, Any], ...
    ] = ()  # other /animate options: ("motion", "low"), ("end_image", file)

    async def perform(self, world: World, locale: str) -> Answer:
        """Run the command as the member."""
        discord = world.discord
        options = dict(self.options) if self.prompt is None else {"prompt": self.prompt, **dict(self.options)}
        user, channel = member(world, self.user), place(world, self.channel)
        with warnings.catch_warnings():
            # Discord reports the size of a 10000x10000 image; Pillow warns while the double reads it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            handle = await discord.slash(
                user, "animate", options, attachment=self.file, channel=channel, locale=locale
            )
        return Answer(handle=handle)


@dataclass(frozen=True)
class Command:
    """Any other slash command (``"motionbot settings set"``, ``"jobs"``…) with options."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    user: str = "alice"
    channel: str = "general"

    async def perform(self, world: World, locale: str) -> Answer:
        """Run the command as the member."""
        user, channel = member(world, self.user), place(world, self.channel)
        handle = await world.discord.slash(
            user, self.name, dict(self.options), channel=channel, locale=locale
        )
        return Answer(handle=handle)


@dataclass(frozen=True)
class ContextMenu:
    """ "Animate image" on a message alice posted (with ``files`` and ``embeds``, or only text).

    ``redirect_to`` makes the double's CDN answer the first file with a redirect there;
    ``on_previous`` uses the command on the last message alice posted (by a setup) instead.
    """

    files: tuple[FileSpec, ...] = ()
    channel: str = "general"
    embeds: tuple[Mapping[str, Any], ...] = ()
    redirect_to: str | None = None
    on_previous: bool = False

    async def perform(self, world: World, locale: str) -> Answer:
        """Post the message as alice, then use the command on it as alice."""
        discord = world.discord
        target = await source_message(
            world, self.channel, self.files, self.embeds, self.redirect_to, self.on_previous
        )
        handle = await discord.message_command(discord.alice, "Animate image", target, locale=locale)
        return Answer(handle=handle)


@dataclass(frozen=True)
class React:
    """Alice reacts with ``emoji`` on a message she posted (fields as for ``ContextMenu``)."""

    files: tuple[FileSpec, ...] = ()
    emoji: str = "🎬"
    channel: str = "general"
    embeds: tuple[Mapping[str, Any], ...] = ()
    redirect_to: str | None = None
    on_previous: bool = False

    async def perform(self, world: World, locale: str) -> Answer:
        """Post the message, then add the reaction (a reaction has no locale: the server's is used)."""
        discord = world.discord
        target = await source_message(
            world, self.channel, self.files, self.embeds, self.redirect_to, self.on_previous
        )
        await discord.add_reaction(discord.alice, target, self.emoji)
        return Answer(dm_to=discord.alice, target=target)


async def source_message(
    world: World,
    channel: str,
    files: tuple[FileSpec, ...],
    embeds: tuple[Mapping[str, Any], ...],
    redirect_to: str | None,
    on_previous: bool,
) -> Message:
    """Return the message alice acts on: her last one in ``channel``, or a new one she posts now."""
    discord = world.discord
    if on_previous:
        return [m for m in place(world, channel).messages.values() if m.author is discord.alice][-1]
    target = await discord.post_message(
        discord.alice,
        place(world, channel),
        "look at this",
        attachments=files,
        embeds=[dict(e) for e in embeds],
    )
    if redirect_to is not None:
        discord.state.files[target.attachments[0].id].redirect_to = redirect_to
    return target


@dataclass(frozen=True)
class Click:
    """A button click on a bot message carrying ``custom_id`` (``{job}`` is the seeded job's id).

    The double only lets users click components that exist on a message, so the bot message is
    put straight into the double's state with the (forged) button, as a tampering or outdated
    client would present it; no real job card is needed.
    """

    custom_id: str
    user: str = "alice"
    channel: str = "general"

    async def perform(self, world: World, locale: str) -> Answer:
        """Forge the message and click its one button."""
        discord = world.discord
        jobs = await world.store.all_jobs()
        custom_id = self.custom_id.format(job=jobs[-1].id if jobs else 0, alice=discord.alice.id)
        button = {"type": 2, "style": 2, "label": "Extend", "custom_id": custom_id, "id": 2}
        channel = place(world, self.channel)
        message = Message(
            id=discord.state.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=discord.bot_user,
            components=[{"type": 1, "id": 1, "components": [button]}],
        )
        discord.state.add_message(channel, message)
        handle = await discord.click(member(world, self.user), message, custom_id, locale=locale)
        return Answer(handle=handle, target=message)


@dataclass(frozen=True)
class FormUpload:
    """``/animate`` without an attachment, then the upload form it opens submitted with ``file``.

    A refusal before the form opens is the command's own answer; otherwise the submit's answer counts.
    """

    file: FileSpec = ("cat.png", b"", "image/png")
    prompt: str | None = None
    user: str = "alice"
    channel: str = "general"

    async def perform(self, world: World, locale: str) -> Answer:
        """Run the command, then fill in and submit the form as the member."""
        discord = world.discord
        user, channel = member(world, self.user), place(world, self.channel)
        opened = await discord.slash(user, "animate", {}, channel=channel, locale=locale)
        if (await opened.wait_response()).type != MODAL:
            return Answer(handle=opened)
        values = {} if self.prompt is None else {"prompt": self.prompt}
        submitted = await discord.submit_modal(
            user, opened, values, files={"image": [self.file]}, locale=locale
        )
        return Answer(handle=submitted)


@dataclass(frozen=True)
class StaleForm:
    """A form submit the running bot never opened: one from before a restart, or a forged custom_id."""

    custom_id: str = "mb:m:0123456789abcdef"

    async def perform(self, world: World, locale: str) -> Answer:
        """Submit the unknown form as alice in #general."""
        discord = world.discord
        return Answer(handle=await discord.submit_stale_modal(discord.alice, self.custom_id, locale=locale))


MODAL = 9  # the interaction callback type that opens a form
Action = Animate | Command | ContextMenu | React | Click | FormUpload | StaleForm


def place(world: World, name: str) -> Channel:
    """Return a channel of the default world by attribute name, alice's DM with the bot for "dm",
    or else the channel of that name a setup added (e.g. in another server)."""
    discord = world.discord
    if name == "dm":
        return discord.dm_channel(discord.alice)
    found = getattr(discord, name, None)
    if isinstance(found, Channel):
        return found
    return next(c for c in discord.state.channels.values() if c.name == name)


def member(world: World, name: str) -> User:
    """Return one of the default world's people by attribute name (alice, bob, mod, admin, owner),
    or else the user of that name a setup added."""
    found = getattr(world.discord, name, None)
    if isinstance(found, User):
        return found
    return next(user for user in world.discord.state.users.values() if user.username == name)


# -- setups: the world before the member acts ----------------------------------------------------


def seeded(status: JobStatus, *, owner: str = "alice", extensions: int = 0) -> Setup:
    """Return a setup that stores a job of ``owner`` in ``status`` (as if it had run earlier today)."""

    async def setup(world: World) -> None:
        discord, store = world.discord, world.store
        job = await store.create_job(
            NewJob(
                requester_id=member(world, owner).id,
                guild_id=discord.guild.id,
                channel_id=discord.general.id,
                source=JobSource.SLASH,
                motion=Motion.LOW,
                quality=Quality.SD,
                prompt="seeded",
                image_url="https://cdn.invalid/seed.png",
                extension_count=extensions,
            )
        )
        if status is JobStatus.QUEUED:
            return  # stored only: the running tracker never hears of it, so it is never sent
        await store.mark_submitting(job.id)
        await store.mark_submitted(job.id, f"seed-task-{job.id}")
        if status is JobStatus.FAILED:
            await store.mark_failed(job.id, FailureKind.PROVIDER_FAILED, "seeded failure")
        elif status is JobStatus.DELIVERED:
            await store.mark_succeeded(job.id, [f"https://cdn.invalid/{job.id}/{n}.mp4" for n in range(4)])
            await store.mark_delivered(job.id)

    return setup


def already_animated(source: JobSource) -> Setup:
    """Return a setup where alice posted a picture in #general and already has a running job from it."""

    async def setup(world: World) -> None:
        discord, store = world.discord, world.store
        message = await discord.post_message(
            discord.alice, discord.general, "look at this", attachments=[CAT]
        )
        job = await store.create_job(
            NewJob(
                requester_id=discord.alice.id,
                guild_id=discord.guild.id,
                channel_id=discord.general.id,
                source=source,
                motion=Motion.LOW,
                quality=Quality.SD,
                prompt="seeded",
                image_url=message.attachments[0].url,
                source_message_id=message.id,
            )
        )
        await store.mark_submitting(job.id)
        await store.mark_submitted(job.id, f"seed-task-{job.id}")

    return setup


def allow_only_media(world: World) -> Awaitable[None]:
    """Limit the server's allow-list to #media."""
    guild = world.discord.guild.id
    allowed = frozenset({world.discord.media.id})
    return save_settings(world.store, GuildSettings(guild_id=guild, allowed_channel_ids=allowed))


async def other_server(world: World) -> None:
    """The bot joins "Other Server" (channel #elsewhere), where "stranger" has Manage Messages."""
    discord = world.discord
    guild = await discord.add_guild("Other Server", channels=("elsewhere",))
    await discord.add_user("stranger", permissions=Perm.MANAGE_MESSAGES, guild=guild)
    async with asyncio.timeout(5):
        while world.bot.get_guild(guild.id) is None:
            await asyncio.sleep(0.02)


async def open_settings_to_members(world: World) -> None:
    """An admin lets everyone use /motionbot in Server Settings → Integrations (Discord would not run
    it for members otherwise): the bot itself must still require Manage Server."""
    discord = world.discord
    await discord.set_command_permissions("motionbot", [everyone(discord.guild, True)])


async def stale_client(world: World) -> None:
    """A client that still offers a server-only command in a DM (Discord itself would not: issue 22)."""
    world.discord.config.check_command_contexts = False


def deny_bot_posting(world: World) -> Awaitable[None]:
    """Take Send Messages away from the bot in #general."""
    return world.discord.set_bot_permissions(world.discord.general, deny=Perm.SEND_MESSAGES)


# -- the catalogue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadInput:
    """One bad input: how to trigger it and the refusal it must get (``None``: silently ignored)."""

    name: str
    action: Action
    expected_key: str | None
    locale: str = "en-US"
    setup: tuple[Setup, ...] = ()
    overrides: Mapping[str, Any] = field(default_factory=dict)


UNSUPPORTED, MISMATCH, TOO_SMALL = "image.unsupported_type", "image.type_mismatch", "image.too_small"
NO_DIMENSIONS, INVALID_SETTING = "image.missing_dimensions", "settings.invalid"
ABOVE_CAP, ELSEWHERE = "settings.above_cap", "error.button_elsewhere"
DISGUISED_TYPE = "text/[download](https://evil.example)@everyone"
DISGUISED_NAME = "[Download HD](https://evil.example) @everyone.gif"
GIF = image_bytes("GIF", width=128, height=128)
PNG = picture()
JPEG = jpeg_bytes(width=256, height=256)
CAT: FileSpec = ("cat.png", PNG, "image/png")
OFF_HOST = "error.image_host_not_allowed"
# Loopback URLs off the image host list (the discard port: nothing listens), so nothing leaves the machine.
AWAY = "http://127.0.0.1:9/stolen.png"


def raw_image_embed(url: str) -> Mapping[str, Any]:
    """An embed with only the original image URL (no media proxy URL)."""
    return {"type": "image", "url": url, "image": {"url": url, "width": 256, "height": 256}}


OFF_HOST_EMBED = raw_image_embed(AWAY)
HTTP_EMBED = raw_image_embed("http://localhost:9/cat.png")
DELIVERED, FAILED, RUNNING = JobStatus.DELIVERED, JobStatus.FAILED, JobStatus.SUBMITTED


def upload(name: str, file: FileSpec, key: str, locale: str = "en-US", **extra: Any) -> BadInput:
    """Return a case where /animate gets ``file``."""
    return BadInput(name, Animate(file=file), key, locale, **extra)


def setting(name: str, setting_name: str, value: str, locale: str = "en-US") -> BadInput:
    """Return a case where an admin sets ``setting_name`` to an invalid ``value``."""
    options = {"setting": setting_name, "value": value}
    return BadInput(name, Command("motionbot settings set", options, user="admin"), INVALID_SETTING, locale)


def over_cap(name: str, setting_name: str, value: str, locale: str = "en-US") -> BadInput:
    """Return a case where an admin sets a limit above the operator's value in .env."""
    options = {"setting": setting_name, "value": value}
    return BadInput(name, Command("motionbot settings set", options, user="admin"), ABOVE_CAP, locale)


def click(
    name: str, custom_id: str, key: str, *seeds: JobStatus, user: str = "alice", **extra: Any
) -> BadInput:
    """Return a case where ``user`` clicks a button carrying ``custom_id`` after seeding jobs."""
    setup = tuple(seeded(status) for status in seeds)
    return BadInput(name, Click(custom_id, user=user), key, setup=setup, **extra)


def limited(name: str, action: Action, key: str, seed: Setup, **overrides: Any) -> BadInput:
    """Return a case refused by a limit that ``seed`` uses up under ``overrides``."""
    return BadInput(name, action, key, setup=(seed,), overrides=overrides)


BAD_INPUTS: list[BadInput] = [
    # wrong file types, refused from what Discord reports, before anything is downloaded
    upload("text file", ("notes.txt", TEXT, "text/plain"), UNSUPPORTED),
    upload("pdf", ("doc.pdf", PDF, "application/pdf"), UNSUPPORTED),
    upload("svg", ("logo.svg", SVG, "image/svg+xml"), UNSUPPORTED),
    upload("gif", ("anim.gif", GIF, "image/gif"), UNSUPPORTED),
    upload("bmp", ("pic.bmp", image_bytes("BMP", width=128, height=128), "image/bmp"), UNSUPPORTED),
    upload("tiff", ("pic.tiff", image_bytes("TIFF", width=128, height=128), "image/tiff"), UNSUPPORTED),
    upload("heic-like bytes", ("photo.heic", HEIC, "image/heic"), UNSUPPORTED),
    upload("avif-like bytes", ("photo.avif", AVIF, "image/avif"), UNSUPPORTED),
    upload("mp4 video", ("clip.mp4", mp4_bytes("bad-input"), "video/mp4"), UNSUPPORTED),
    upload("png bytes sent as text", ("cat.txt", PNG, "text/plain"), UNSUPPORTED),
    upload("png bytes sent as gif", ("cat.gif", PNG, "image/gif"), UNSUPPORTED),
    upload("pdf, in vietnamese", ("doc.pdf", PDF, "application/pdf"), UNSUPPORTED, "vi"),
    # content type and bytes disagree: caught once the bytes are downloaded
    upload("png declared as jpeg", ("cat.jpg", PNG, "image/jpeg"), MISMATCH),
    upload("jpeg bytes named png", ("cat.png", JPEG, "image/png"), MISMATCH),
    upload("webp bytes named png", ("cat.png", webp_bytes(width=256, height=256), "image/png"), MISMATCH),
    upload("gif bytes named png", ("cat.png", GIF, "image/png"), MISMATCH),
    upload("png bytes named webp", ("cat.webp", PNG, "image/webp"), MISMATCH),
    upload("jpeg bytes named png, in vietnamese", ("cat.png", JPEG, "image/png"), MISMATCH, "vi"),
    # empty, oversized, unreadable, cut short, too small or too big
    upload("zero bytes", ("empty.png", b"", "image/png"), "image.empty"),
    upload(
        "one byte over MAX_IMAGE_MB",
        ("big.png", PNG + bytes(MIB + 1 - len(PNG)), "image/png"),
        "image.too_large",
        overrides={"max_image_mb": 1},
    ),
    upload("text bytes named png", ("cat.png", TEXT, "image/png"), NO_DIMENSIONS),
    upload("pdf bytes named jpeg", ("scan.jpg", PDF, "image/jpeg"), NO_DIMENSIONS),
    upload(
        "png signature then garbage",
        ("cat.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png"),
        NO_DIMENSIONS,
    ),
    upload("truncated png", ("cat.png", picture(300, 300)[:-40], "image/png"), "image.truncated"),
    upload("truncated jpeg", ("cat.jpg", JPEG[:-200], "image/jpeg"), "image.truncated"),
    upload("1x1", ("dot.png", picture(1, 1), "image/png"), TOO_SMALL),
    upload("63x63", ("icon.png", picture(63, 63), "image/png"), TOO_SMALL),
    upload("4097x10", ("strip.png", picture(4097, 10), "image/png"), TOO_SMALL),
    upload("4097x64", ("wide.png", picture(4097, 64), "image/png"), "image.too_big_dimensions"),
    upload(
        "10000x10000", ("huge.png", png_header_only(10_000, 10_000), "image/png"), "image.too_big_dimensions"
    ),
    upload("63x63, in vietnamese", ("icon.png", picture(63, 63), "image/png"), TOO_SMALL, "vi"),
    # prompts
    BadInput("prompt of 1001 characters", Animate(file=CAT, prompt="a" * 1001), "prompt.too_long"),
    BadInput("prompt of 2000 characters, in vietnamese", Animate(CAT, "ả" * 2000), "prompt.too_long", "vi"),
    # buttons: unknown, forged, not allowed, not extendable
    click("unknown custom id", "mb:zz:1", "error.unknown_button"),
    click("another bot's custom id", "some-other-bot:button", "error.unknown_button"),
    click("extend id with a 20-digit job id", "mb:x:99999999999999999999:0:l", "error.unknown_button"),
    click("extend of a job that never existed", "mb:x:424242:0:l", "error.job_not_found"),
    click("extend pressed by another member", "mb:x:{job}:0:l", "error.not_your_job", DELIVERED, user="bob"),
    click("extend of a failed job", "mb:x:{job}:0:h", "extend.job_failed", FAILED),
    click("extend of a job still running", "mb:x:{job}:1:l", "extend.not_delivered", RUNNING),
    click("extend clip index out of range", "mb:x:{job}:7:l", "extend.clip_out_of_range", DELIVERED),
    BadInput(
        "extend beyond the maximum",
        Click("mb:x:{job}:0:l"),
        "extend.max_reached",
        setup=(seeded(DELIVERED, extensions=4),),
    ),
    click(
        "extend of a failed job, in vietnamese", "mb:x:{job}:0:l", "extend.job_failed", FAILED, locale="vi"
    ),
    click("someone else's /jobs page", "mb:j:{alice}:1", "error.not_your_job", user="bob"),
    # server settings
    BadInput(
        "settings set without Manage Server",
        Command("motionbot settings set", {"setting": "max_daily_per_user", "value": "500"}),
        "settings.permission_needed",
        setup=(open_settings_to_members,),
    ),
    BadInput(
        "settings show without Manage Server",
        Command("motionbot settings show"),
        "settings.permission_needed",
        setup=(open_settings_to_members,),
    ),
    BadInput(
        "settings channels without Manage Server",
        Command("motionbot settings channels", {"action": "clear"}),
        "settings.permission_needed",
        setup=(open_settings_to_members,),
    ),
    setting("daily limit of 0", "max_daily_per_user", "0"),
    over_cap("21 jobs at once", "max_concurrent_per_user", "21"),
    setting("negative server limit", "max_daily_per_guild", "-5"),
    setting("unknown motion", "default_motion", "medium"),
    setting("1080p quality", "default_quality", "1080p"),
    setting("emoji that is a word", "reaction_emoji", "movie"),
    setting("switch neither on nor off, in vietnamese", "reactions_enabled", "maybe", "vi"),
    # reactions and the context menu
    BadInput("reaction on a message without an image", React(), "error.no_image"),
    BadInput("reaction on a pdf", React(files=(("doc.pdf", PDF, "application/pdf"),)), UNSUPPORTED),
    BadInput("reaction with another emoji", React(files=(CAT,), emoji="👍"), None),
    BadInput("reaction outside the allowed channels", React(files=(CAT,)), None, setup=(allow_only_media,)),
    BadInput("context menu on a message without an image", ContextMenu(), "error.no_image"),
    BadInput("context menu on a gif", ContextMenu(files=(("anim.gif", GIF, "image/gif"),)), UNSUPPORTED),
    BadInput("context menu without an image, in vietnamese", ContextMenu(), "error.no_image", "vi"),
    # limits, channels, permissions, DMs
    limited(
        "over the daily limit",
        Animate(CAT),
        "quota.exceeded.user_daily",
        seeded(DELIVERED),
        max_daily_jobs_per_user=1,
    ),
    limited(
        "over the server's daily limit",
        Animate(CAT),
        "quota.exceeded.guild_daily",
        seeded(DELIVERED, owner="bob"),
        max_daily_jobs_per_guild=1,
    ),
    limited(
        "over the daily limit by reaction",
        React(files=(CAT,)),
        "quota.exceeded.user_daily",
        seeded(DELIVERED),
        max_daily_jobs_per_user=1,
    ),
    BadInput(
        "channel not in the allowed list",
        Animate(CAT),
        "error.channel_not_allowed",
        setup=(allow_only_media,),
    ),
    BadInput(
        "bot may not post in the channel",
        Animate(CAT),
        "error.missing_permissions",
        setup=(deny_bot_posting,),
    ),
    BadInput("/animate in a DM", Animate(CAT, channel="dm"), "error.guild_only", setup=(stale_client,)),
    BadInput("/quota in a DM", Command("quota", channel="dm"), "error.guild_only", setup=(stale_client,)),
]

# issue 9, item 1: forged Extend ids naming a job of another server or channel
FORGED_BUTTONS: list[BadInput] = [
    BadInput(
        "extend id of another server's job",
        Click("mb:x:{job}:0:l", user="stranger", channel="elsewhere"),
        ELSEWHERE,
        setup=(seeded(DELIVERED), other_server),
    ),
    BadInput(
        "extend id of another server's job, in vietnamese",
        Click("mb:x:{job}:1:h", user="stranger", channel="elsewhere"),
        ELSEWHERE,
        "vi",
        setup=(seeded(DELIVERED), other_server),
    ),
    BadInput(
        "extend id of a job in another channel",
        Click("mb:x:{job}:0:l", user="mod", channel="media"),
        ELSEWHERE,
        setup=(seeded(DELIVERED),),
    ),
]

# issue 9, item 2: server settings above the operator's limits in .env (2, 10 and 100)
OVER_CAP_SETTINGS: list[BadInput] = [
    over_cap("3 jobs at once over the operator's 2", "max_concurrent_per_user", "3"),
    over_cap("11 a day per member over the operator's 10", "max_daily_per_user", "11"),
    over_cap("100000 a day per server over the operator's 100", "max_daily_per_guild", "100000"),
    over_cap("11 a day per member, in vietnamese", "max_daily_per_user", "11", "vi"),
]

# issue 9 item 3: input images only from Discord's hosts (never fetched from anywhere else)
OFF_HOST_IMAGES: list[BadInput] = [
    BadInput("context menu on an embed linking off Discord", ContextMenu(embeds=(OFF_HOST_EMBED,)), OFF_HOST),
    BadInput("reaction on an embed linking off Discord", React(embeds=(OFF_HOST_EMBED,)), OFF_HOST),
    BadInput(
        "context menu on an embed linking off Discord, in vietnamese",
        ContextMenu(embeds=(OFF_HOST_EMBED,)),
        OFF_HOST,
        "vi",
    ),
    BadInput(
        "context menu on an embed over http to a host not listed", ContextMenu(embeds=(HTTP_EMBED,)), OFF_HOST
    ),
    BadInput(
        "context menu on a CDN image redirecting off Discord", ContextMenu((CAT,), redirect_to=AWAY), OFF_HOST
    ),
    BadInput("reaction on a CDN image redirecting off Discord", React((CAT,), redirect_to=AWAY), OFF_HOST),
]

# issue 9 item 4: one job per member, source message and trigger (a second process: see
# tests/reliability/test_second_instance.py, it cannot be replayed in one world)
DUPLICATE_SOURCES: list[BadInput] = [
    BadInput(
        "duplicate reaction on an image already animated",
        React(on_previous=True),
        None,
        setup=(already_animated(JobSource.REACTION),),
    ),
    BadInput(
        "context menu again on an image already animated",
        ContextMenu(on_previous=True),
        "job.duplicate",
        setup=(already_animated(JobSource.CONTEXT_MENU),),
    ),
]

# issue 9, item 5: links, mentions and markdown in what members upload or type, shown literally
DISGUISED_TEXT: list[BadInput] = [
    upload("content type carrying a masked link", ("upload", TEXT, DISGUISED_TYPE), UNSUPPORTED),
    upload("file name carrying a masked link", (DISGUISED_NAME, GIF, "image/gif"), UNSUPPORTED),
    BadInput(
        "reaction on a file whose type carries mentions",
        React(files=(("upload", TEXT, "text/<@&123456789012345678>@here"),)),
        UNSUPPORTED,
    ),
    setting("emoji that is a masked link", "reaction_emoji", "[🎬](https://evil.example) @here"),
    BadInput(
        "prompt of links and mentions over the length limit",
        Animate(CAT, "[HD](https://evil.example) @everyone ||x|| " * 30),
        "prompt.too_long",
    ),
]


def line_full(name: str, action: Action, locale: str = "en-US") -> BadInput:
    """Return a case where the member already has one job running and one waiting (limits 1 and 1)."""
    return BadInput(
        name,
        action,
        "quota.exceeded.waiting",
        locale,
        setup=(seeded(RUNNING), seeded(JobStatus.QUEUED)),
        overrides={"max_concurrent_jobs_per_user": 1, "max_waiting_jobs_per_user": 1},
    )


# issue 10: past the member's running limit jobs wait; past the waiting cap they are refused
WAITING_LINE_FULL: list[BadInput] = [
    line_full("waiting line full", Animate(CAT)),
    line_full("waiting line full, in Vietnamese", Animate(CAT), "vi"),
    line_full("waiting line full by context menu", ContextMenu(files=(CAT,))),
    line_full("waiting line full by reaction", React(files=(CAT,))),
]

# Issue 9's hostile cases by item, for the reliability report's trust-boundary rows.
ISSUE_9_CASES: dict[int, list[BadInput]] = {
    1: FORGED_BUTTONS,
    2: OVER_CAP_SETTINGS,
    3: OFF_HOST_IMAGES,
    4: DUPLICATE_SOURCES,
    5: DISGUISED_TEXT,
}
BAD_INPUTS += [case for cases in ISSUE_9_CASES.values() for case in cases]

# issue 10: Cancel and Retry buttons pressed where, by whom or when they must do nothing
NOT_YOURS, TOO_LATE = "error.not_your_job", "cancel.too_late_delivered"
CANCEL_RETRY_BUTTONS: list[BadInput] = [
    BadInput(
        "cancel id of another server's job",
        Click("mb:c:{job}", user="stranger", channel="elsewhere"),
        ELSEWHERE,
        setup=(seeded(RUNNING), other_server),
    ),
    BadInput(
        "retry id of another server's failed job, in vietnamese",
        Click("mb:r:{job}", user="stranger", channel="elsewhere"),
        ELSEWHERE,
        "vi",
        setup=(seeded(FAILED), other_server),
    ),
    BadInput(
        "cancel id of a job in another channel",
        Click("mb:c:{job}", "mod", "media"),
        ELSEWHERE,
        setup=(seeded(RUNNING),),
    ),
    BadInput(
        "retry id of a job in another channel",
        Click("mb:r:{job}", "mod", "media"),
        ELSEWHERE,
        setup=(seeded(FAILED),),
    ),
    click("cancel of another member's running job", "mb:c:{job}", NOT_YOURS, RUNNING, user="bob"),
    click("retry of another member's failed job", "mb:r:{job}", NOT_YOURS, FAILED, user="bob"),
    click("cancel of a delivered job", "mb:c:{job}", TOO_LATE, DELIVERED),
    click("cancel of a delivered job, in vietnamese", "mb:c:{job}", TOO_LATE, DELIVERED, locale="vi"),
    click("retry of a job that did not fail", "mb:r:{job}", "retry.not_failed", DELIVERED),
    click("cancel id of a job that does not exist", "mb:c:999999", "error.job_not_found"),
]
BAD_INPUTS += CANCEL_RETRY_BUTTONS
BAD_INPUTS += WAITING_LINE_FULL

# issue 11: /animate's upload form (for mobile members) refuses what /animate refuses, and says when
# a form is unknown (opened before a restart, or forged) instead of leaving it unanswered
EXPIRED = "error.form_expired"
UPLOAD_FORM: list[BadInput] = [
    BadInput("pdf through the upload form", FormUpload(("doc.pdf", PDF, "application/pdf")), UNSUPPORTED),
    BadInput(
        "pdf through the upload form, in vietnamese",
        FormUpload(("doc.pdf", PDF, "application/pdf")),
        UNSUPPORTED,
        "vi",
    ),
    BadInput(
        "jpeg bytes named png through the upload form", FormUpload(("cat.png", JPEG, "image/png")), MISMATCH
    ),
    BadInput(
        "tiny image through the upload form", FormUpload(("dot.png", picture(16, 16), "image/png")), TOO_SMALL
    ),
    BadInput(
        "prompt over the limit through the upload form", FormUpload(CAT, "word " * 400), "prompt.too_long"
    ),
    BadInput(
        "upload form in a channel off the allow-list",
        FormUpload(CAT),
        "error.channel_not_allowed",
        setup=(allow_only_media,),
    ),
    BadInput(
        "upload form where the bot cannot post",
        FormUpload(CAT),
        "error.missing_permissions",
        setup=(deny_bot_posting,),
    ),
    line_full("upload form with the waiting line full", FormUpload(CAT)),
    line_full("upload form with the waiting line full, in vietnamese", FormUpload(CAT), "vi"),
    BadInput("upload form submitted after a restart", StaleForm(), EXPIRED),
    BadInput("upload form submitted after a restart, in vietnamese", StaleForm(), EXPIRED, "vi"),
    BadInput("form with a forged custom id", StaleForm("mb:x:1:0:h"), EXPIRED),
]
BAD_INPUTS += UPLOAD_FORM

# issue 11: "Extend with a prompt…" buttons pressed where, by whom or when they must not open a modal
EXTEND_PROMPT_BUTTONS: list[BadInput] = [
    BadInput(
        "extend-with-prompt id of another server's job",
        Click("mb:p:{job}:0", user="stranger", channel="elsewhere"),
        ELSEWHERE,
        setup=(seeded(DELIVERED), other_server),
    ),
    BadInput(
        "extend-with-prompt id of a job in another channel, in vietnamese",
        Click("mb:p:{job}:0", "mod", "media"),
        ELSEWHERE,
        "vi",
        setup=(seeded(DELIVERED),),
    ),
    click("extend-with-prompt pressed by another member", "mb:p:{job}:0", NOT_YOURS, DELIVERED, user="bob"),
    click("extend-with-prompt of a failed job", "mb:p:{job}:1", "extend.job_failed", FAILED),
    click(
        "extend-with-prompt clip index out of range", "mb:p:{job}:9", "extend.clip_out_of_range", DELIVERED
    ),
    click(
        "extend-with-prompt id with a 20-digit job id", "mb:p:99999999999999999999:0", "error.unknown_button"
    ),
    BadInput(
        "extend-with-prompt beyond the maximum",
        Click("mb:p:{job}:0"),
        "extend.max_reached",
        setup=(seeded(DELIVERED, extensions=4),),
    ),
]
BAD_INPUTS += EXTEND_PROMPT_BUTTONS

# issue 11: flags typed in a prompt that the bot refuses (nothing typed reaches the provider as a flag),
# a typed flag contradicting a chosen option, and an end image checked like the first image.
UNSUPPORTED_FLAG = "prompt.flag_unsupported"


def typed(name: str, prompt: str, key: str, locale: str = "en-US", **options: Any) -> BadInput:
    """Return a case where /animate gets a good image and ``prompt`` (and ``options``)."""
    return BadInput(name, Animate(CAT, prompt, options=tuple(options.items())), key, locale)


PROMPT_FLAGS: list[BadInput] = [
    typed("a link in the prompt", "a cat https://evil.example/x.png", "prompt.url_refused"),
    typed("a link in the prompt, in vietnamese", "mèo www.evil.example", "prompt.url_refused", "vi"),
    typed("--end typed in the prompt", "a cat --end loop", "prompt.flag_end"),
    typed(
        "--end with a link typed in the prompt", "cat --end http://127.0.0.1:9/x.png", "prompt.url_refused"
    ),
    typed("--video typed", "a cat --video 1", UNSUPPORTED_FLAG),
    typed("--fast typed", "a cat --fast", UNSUPPORTED_FLAG),
    typed("--relax typed with an em dash", "a cat —relax", UNSUPPORTED_FLAG),
    typed("--turbo typed, in vietnamese", "mèo --turbo", UNSUPPORTED_FLAG, "vi"),
    typed("--ar typed", "a cat --ar 16:9", UNSUPPORTED_FLAG),
    typed("--v typed", "a cat --v 7", UNSUPPORTED_FLAG),
    typed("--seed typed", "a cat --seed 42", UNSUPPORTED_FLAG),
    typed("--batch typed (upstream knows only --bs)", "a cat --batch 2", UNSUPPORTED_FLAG),
    typed("an unknown flag glued to a word", "cat--weird", UNSUPPORTED_FLAG),
    typed("a lone --", "a cat -- sleeping", UNSUPPORTED_FLAG),
    typed("a flag name carrying a mention", "a cat --<@&123456789012345678>", UNSUPPORTED_FLAG),
    typed("--bs 3", "a cat --bs 3", "prompt.flag_bad_value"),
    typed("--motion without a value", "a cat --motion", "prompt.flag_needs_value"),
    typed("--motion twice, differently", "--motion low cat --motion high", "prompt.flag_repeated"),
    typed(
        "typed motion contradicts the chosen one", "cat --motion high", "prompt.flag_conflict", motion="low"
    ),
    typed(
        "typed --bs contradicts clips, in vietnamese", "mèo --bs 1", "prompt.flag_conflict", "vi", clips="2"
    ),
    typed("typed --raw while raw is off", "cat --raw", "prompt.flag_conflict", raw=False),
    typed("loop with an end image", "sea", "options.loop_with_end", loop=True, end_image=CAT),
    typed("typed --loop with an end image", "sea --loop", "options.loop_with_end", end_image=CAT),
    typed("a PDF end image", "sea", UNSUPPORTED, end_image=("last.pdf", PDF, "application/pdf")),
    typed("a tiny end image", "sea", TOO_SMALL, end_image=("last.png", picture(16, 16), "image/png")),
    setting("3 clips as the server default", "default_clips", "3"),
    setting("clip counting neither on nor off, in vietnamese", "count_clips", "maybe", "vi"),
]
BAD_INPUTS += PROMPT_FLAGS

# issue 12: /show job:<id> refused privately, before anything is posted or asked of the provider. A
# job of another server gets the words of an id that does not exist, so it reveals nothing. (The
# seeded job is the first of a fresh world: id 1.)
SHOW_NOT_FOUND = "show.not_found"
SHOW_COMMAND: list[BadInput] = [
    BadInput(
        "/show of another server's job",
        Command("show", {"job": 1}, user="stranger", channel="elsewhere"),
        SHOW_NOT_FOUND,
        setup=(seeded(DELIVERED), other_server),
    ),
    BadInput(
        "/show of another server's job, in vietnamese",
        Command("show", {"job": 1}, user="stranger", channel="elsewhere"),
        SHOW_NOT_FOUND,
        "vi",
        setup=(seeded(DELIVERED), other_server),
    ),
    BadInput("/show of a job that does not exist", Command("show", {"job": 999999}), SHOW_NOT_FOUND),
    BadInput(
        "/show of another member's job",
        Command("show", {"job": 1}, user="bob"),
        "show.not_yours",
        setup=(seeded(DELIVERED),),
    ),
    BadInput(
        "/show of another member's job, in vietnamese",
        Command("show", {"job": 1}, user="bob"),
        "show.not_yours",
        "vi",
        setup=(seeded(DELIVERED),),
    ),
]
BAD_INPUTS += SHOW_COMMAND

# issue 18 item 7: entry points used against the server's command permissions (needs the names above)
from tests.reliability.bad_inputs_perms import PERMISSION_CASES  # noqa: E402

BAD_INPUTS += PERMISSION_CASES

# issue 18, items 2-4: /show across channels, Cancel and Retry by others, the emptied allow-list
from tests.reliability.bad_inputs_members import members_cases  # noqa: E402

BAD_INPUTS += members_cases()

# issue 18 item 6: typed flags and links in Unicode disguise
from tests.reliability.bad_inputs_unicode import UNICODE_FLAGS  # noqa: E402

BAD_INPUTS += UNICODE_FLAGS
