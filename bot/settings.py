"""Settings read from the environment and an optional ``.env`` file.

Every setting is documented in ``.env.example``; secrets are ``SecretStr`` so they never show in a
repr, a log line or an error message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.image_hosts import DEFAULT_IMAGE_HOSTS, ImageHostPolicy, parse_host, parse_host_port
from bot.models import CLIP_CHOICES, CLIPS_PER_JOB, Motion, Quality

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

# An amount of money in the operator's PRICE_CURRENCY: at most a million, to the millionth (the ledger
# stores millionths as integers, see bot.budget.prices).
Amount = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=13, decimal_places=6)]

# One line of help per setting, used when a value is missing or invalid.
EXPECTATIONS: dict[str, str] = {
    "discord_token": "the bot token from the Discord developer portal (Bot > Reset Token)",
    "cometapi_key": "your CometAPI key (https://api.cometapi.com console)",
    "cometapi_base_url": "an http(s) URL such as https://api.cometapi.com",
    "discord_api_base_url": "an http(s) URL such as https://discord.com/api/v10",
    "discord_gateway_url": "a ws(s) URL such as wss://gateway.discord.gg/",
    "discord_start_timeout_seconds": "a number of seconds between 5 and 600",
    "database_path": "a file path such as data/motionbot.sqlite3",
    "database_lock_retry_seconds": "a number of seconds between 0.1 and 600",
    "database_url": "a PostgreSQL URL such as postgresql://motionbot:PASSWORD@db-host:5432/motionbot, "
    "or empty to use the SQLite file at DATABASE_PATH",
    "lease_seconds": "a number of seconds between 5 and 600",
    "poll_interval_seconds": "a number of seconds between 0.01 and 300",
    "job_timeout_minutes": "a number of minutes between 1 and 1440",
    "max_image_mb": "a number of megabytes between 1 and 50",
    "image_hosts": "comma-separated host names such as cdn.discordapp.com,media.discordapp.net",
    "image_http_hosts": "comma-separated host:port pairs such as 127.0.0.1:8080, or empty",
    "max_concurrent_jobs_per_user": "a whole number between 1 and 20",
    "max_waiting_jobs_per_user": "a whole number between 0 and 100",
    "provider_max_running": "a whole number between 1 and 5000",
    "max_daily_jobs_per_user": "a whole number between 1 and 10000",
    "max_daily_jobs_per_guild": "a whole number between 1 and 100000",
    "price_currency": "a currency label of 1 to 8 characters, such as USD",
    "price_per_clip_480p": "an amount such as 0.05 (what one 480p clip costs you at CometAPI)",
    "price_per_clip_720p": "an amount such as 0.16 (what one 720p clip costs you at CometAPI)",
    "price_per_extension_clip": "an amount such as 0.05 (what one extended clip costs you at CometAPI)",
    "budget_person_day": "an amount such as 2.00 (one person, all servers, per day), or empty for none",
    "budget_person_month": "an amount such as 20.00 (one person, all servers, per month), or empty for none",
    "budget_server_day": "an amount such as 10.00 (one server, per UTC day), or empty for none",
    "budget_server_month": "an amount such as 100.00 (one server, per UTC month), or empty for none",
    "budget_bot_day": "an amount such as 30.00 (the whole bot, per UTC day), or empty for none",
    "budget_bot_month": "an amount such as 300.00 (the whole bot, per UTC month), or empty for none",
    "default_motion": "low or high",
    "default_quality": "480p or 720p",
    "default_clips": "1, 2 or 4",
    "reactions_enabled": "true or false",
    "reaction_emoji": "one emoji, such as 🎬",
    "consent_timeout_minutes": "a number of minutes between 1 and 1440",
    "clip_archive": "a folder path, or s3://BUCKET/PREFIX for an S3-compatible bucket, or empty to keep "
    "no copies",
    "clip_archive_dir": "a folder path (the older name of CLIP_ARCHIVE), or empty",
    "clip_archive_s3_endpoint_url": "the S3 endpoint, such as https://ACCOUNT.r2.cloudflarestorage.com or "
    "http://minio:9000, or empty for AWS S3",
    "clip_archive_s3_region": "a region such as us-east-1 (auto for R2), or empty for the default",
    "clip_archive_s3_access_key_id": "the access key id, or empty to use the AWS_* environment or the "
    "machine's role",
    "clip_archive_s3_secret_access_key": "the secret access key that goes with CLIP_ARCHIVE_S3_ACCESS_KEY_ID",
    "max_concurrent_encodes": "a whole number between 1 and 16",
    "fit_timeout_seconds": "a number of seconds between 0.001 and 3600",
    "http_port": "a TCP port between 1 and 65535, or empty to turn the HTTP server off",
    "http_host": "an address to bind, such as 127.0.0.1",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "log_format": "text or json",
    "dev_guild_id": "a Discord server id, or empty",
    "log_channel_id": "a Discord channel id for operator alerts, or empty to DM the application owner",
    "provider_timeout_seconds": "a number of seconds between 1 and 300",
    "provider_max_retries": "a whole number between 0 and 10",
    "card_edit_interval_seconds": "a number of seconds between 0.05 and 60",
    "shard_count": "the number of shards of all processes together (1 to 10000), or empty for Discord's "
    "recommendation",
    "shard_ids": "this process's shard ids, comma-separated such as 0,1 (each below SHARD_COUNT), "
    "or empty for all",
    "user_install": "off, members or everyone",
}


S3_SCHEME = "s3://"
# Bucket names of S3 and its look-alikes: 3-63 lowercase letters, digits, dots and hyphens, starting and
# ending with a letter or digit (AWS S3 User Guide, "General purpose bucket naming rules").
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True, slots=True)
class ArchiveLocation:
    """Where delivered clips are kept: a ``folder``, or a ``bucket`` (with a key ``prefix``) of an S3 store.

    ``prefix`` is empty or ends with ``/``; a clip's key is ``<prefix><job id>/<index>.mp4``.
    """

    folder: Path | None = None
    bucket: str = ""
    prefix: str = ""

    @classmethod
    def parse(cls, value: str) -> ArchiveLocation | None:
        """Return the location ``value`` names (None when empty); ``ValueError`` for a bad bucket URL."""
        value = value.strip()
        if not value:
            return None
        if not value.lower().startswith(S3_SCHEME):
            return cls(folder=Path(value))
        bucket, _, prefix = value[len(S3_SCHEME) :].partition("/")
        if not BUCKET_NAME.fullmatch(bucket):
            raise ValueError(f"{bucket!r} is not a bucket name (3-63 lowercase letters, digits, dots, -)")
        prefix = prefix.strip("/")
        # Keys are literal in S3, but proxies and some look-alikes resolve these as paths: a key could
        # then land (and a delete reach) outside the prefix the operator meant.
        if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
            raise ValueError(f"the prefix {prefix!r} has a '.', '..' or empty part; name the folder plainly")
        return cls(bucket=bucket, prefix=f"{prefix}/" if prefix else "")

    def __str__(self) -> str:
        return str(self.folder) if self.folder is not None else f"{S3_SCHEME}{self.bucket}/{self.prefix}"


class SettingsError(Exception):
    """Raised when settings are missing or invalid; carries one line per problem.

    ``absent`` names the settings that are missing or empty, so the caller can say where it looked.
    """

    def __init__(self, problems: list[str], absent: tuple[str, ...] = ()) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.absent = absent


class Settings(BaseSettings):
    """All configuration of one Motionbot process."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    discord_token: SecretStr = Field(min_length=1)
    cometapi_key: SecretStr = Field(min_length=1)
    cometapi_base_url: AnyHttpUrl = AnyHttpUrl("https://api.cometapi.com")
    discord_api_base_url: AnyHttpUrl = AnyHttpUrl("https://discord.com/api/v10")
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_start_timeout_seconds: Annotated[float, Field(ge=5, le=600)] = 120.0
    database_path: Path = Path("data/motionbot.sqlite3")
    database_lock_retry_seconds: Annotated[float, Field(ge=0.1, le=600)] = 30.0
    database_url: SecretStr = SecretStr("")
    lease_seconds: Annotated[float, Field(ge=5, le=600)] = 30.0
    poll_interval_seconds: Annotated[float, Field(ge=0.01, le=300)] = 5.0
    job_timeout_minutes: Annotated[float, Field(ge=1, le=1440)] = 60
    max_image_mb: Annotated[float, Field(ge=1, le=50)] = 10.0
    image_hosts: Annotated[tuple[str, ...], NoDecode, Field(min_length=1)] = DEFAULT_IMAGE_HOSTS
    image_http_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    max_concurrent_jobs_per_user: Annotated[int, Field(ge=1, le=20)] = 2
    max_waiting_jobs_per_user: Annotated[int, Field(ge=0, le=100)] = 10
    provider_max_running: Annotated[int, Field(ge=1, le=5000)] = 10
    max_daily_jobs_per_user: Annotated[int, Field(ge=1, le=10_000)] = 10
    max_daily_jobs_per_guild: Annotated[int, Field(ge=1, le=100_000)] = 100
    price_currency: Annotated[str, Field(min_length=1, max_length=8)] = "USD"
    price_per_clip_480p: Amount = Decimal("0.05")
    price_per_clip_720p: Amount = Decimal("0.16")
    price_per_extension_clip: Amount = Decimal("0.05")
    budget_person_day: Amount | None = Decimal("2.00")
    budget_person_month: Amount | None = Decimal("20.00")
    budget_server_day: Amount | None = Decimal("10.00")
    budget_server_month: Amount | None = Decimal("100.00")
    budget_bot_day: Amount | None = Decimal("30.00")
    budget_bot_month: Amount | None = Decimal("300.00")
    default_motion: Motion = Motion.LOW
    default_quality: Quality = Quality.SD
    default_clips: int = CLIPS_PER_JOB
    reactions_enabled: bool = True
    reaction_emoji: Annotated[str, Field(min_length=1, max_length=32)] = "🎬"
    # issue 22 (consent): how long a poster has to allow or deny animating their image.
    consent_timeout_minutes: Annotated[float, Field(ge=1, le=1440)] = 10
    # The clip archive (issue 22): a folder or an S3-compatible bucket shared by every process.
    clip_archive: Annotated[ArchiveLocation | None, NoDecode] = None
    clip_archive_dir: Path | None = None  # the older name of a folder CLIP_ARCHIVE, still read
    clip_archive_s3_endpoint_url: AnyHttpUrl | None = None
    clip_archive_s3_region: Annotated[str, Field(max_length=64)] = ""
    clip_archive_s3_access_key_id: SecretStr = SecretStr("")
    clip_archive_s3_secret_access_key: SecretStr = SecretStr("")
    max_concurrent_encodes: Annotated[int, Field(ge=1, le=16)] = 2
    fit_timeout_seconds: Annotated[float, Field(ge=0.001, le=3600)] = 300.0
    http_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    http_host: str = "127.0.0.1"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    dev_guild_id: int | None = None
    log_channel_id: int | None = None
    provider_timeout_seconds: Annotated[float, Field(ge=1, le=300)] = 30.0
    provider_max_retries: Annotated[int, Field(ge=0, le=10)] = 4
    card_edit_interval_seconds: Annotated[float, Field(ge=0.05, le=60)] = 4.0
    shard_count: Annotated[int, Field(ge=1, le=10_000)] | None = None
    shard_ids: Annotated[tuple[Annotated[int, Field(ge=0)], ...], NoDecode] = ()
    # issue 22 (user installs): who may use the app installed to their account where the bot is not a
    # member (another server, a group DM, the bot's DM): nobody, people sharing a server with it, anyone.
    user_install: Literal["off", "members", "everyone"] = "off"

    @field_validator("default_clips")
    @classmethod
    def _check_clips(cls, value: int) -> int:
        if value not in CLIP_CHOICES:
            raise ValueError("must be 1, 2 or 4")
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _check_gateway_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and not url.startswith(POSTGRES_SCHEMES):
            raise ValueError("only PostgreSQL is supported: it must start with postgresql:// or postgres://")
        return value

    @field_validator("discord_token", "cometapi_key", "database_url", mode="before")
    @classmethod
    def _check_secret_shape(cls, value: object) -> object:
        # `docker run --env-file` keeps the quotes that the .env loader and compose strip. Runs after
        # _strip_secret (pydantic applies "before" validators last-defined first).
        quoted = isinstance(value, str) and len(value) > 1 and value[0] == value[-1] and value[0] in "\"'"
        if quoted:
            raise ValueError(
                "it still has its quotes; `docker run --env-file` keeps them, use `docker compose` "
                "or write the value without quotes"
            )
        return value

    @field_validator("clip_archive", mode="before")
    @classmethod
    def _parse_clip_archive(cls, value: object) -> object:
        if isinstance(value, str | Path):
            return ArchiveLocation.parse(str(value))
        return value

    @field_validator("clip_archive_dir")
    @classmethod
    def _check_archive_names(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # clip_archive is declared first, so it is validated (or absent, when invalid) by now.
        archive = info.data.get("clip_archive")
        if value is not None and archive is not None and archive != ArchiveLocation(folder=value):
            raise ValueError(
                "CLIP_ARCHIVE is set too, to another place: keep only CLIP_ARCHIVE (CLIP_ARCHIVE_DIR is "
                "its older name)"
            )
        return value

    @field_validator("clip_archive_s3_secret_access_key")
    @classmethod
    def _check_archive_keys(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        key_id = info.data.get("clip_archive_s3_access_key_id")
        if key_id is not None and bool(key_id.get_secret_value()) != bool(value.get_secret_value()):
            raise ValueError(
                "set both CLIP_ARCHIVE_S3_ACCESS_KEY_ID and CLIP_ARCHIVE_S3_SECRET_ACCESS_KEY, or neither"
            )
        return value

    @field_validator("image_hosts", "image_http_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(entry.strip() for entry in value.split(",") if entry.strip())
        return value

    @field_validator("image_hosts")
    @classmethod
    def _check_image_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(parse_host(entry) for entry in value)

    @field_validator("image_http_hosts")
    @classmethod
    def _check_image_http_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(":".join(map(str, parse_host_port(entry))) for entry in value)

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(entry.strip() for entry in value.split(",") if entry.strip())
        return value

    @field_validator("shard_ids")
    @classmethod
    def _check_shard_ids(cls, value: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        # shard_count is declared first, so it is validated (or absent, when invalid) by now.
        if value:
            problem = shard_ids_problem(value, info.data.get("shard_count"), "shard_count" in info.data)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator(
        "clip_archive",
        "clip_archive_dir",
        "clip_archive_s3_endpoint_url",
        "http_port",
        "dev_guild_id",
        "log_channel_id",
        "shard_count",
        "budget_person_day",
        "budget_person_month",
        "budget_server_day",
        "budget_server_month",
        "budget_bot_day",
        "budget_bot_month",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "discord_token",
        "cometapi_key",
        "database_url",
        "clip_archive_s3_access_key_id",
        "clip_archive_s3_secret_access_key",
        mode="before",
    )
    @classmethod
    def _strip_secret(cls, value: object) -> object:
        # A token of spaces is as empty as no token: strip before the length check.
        return value.strip() if isinstance(value, str) else value

    @property
    def uses_postgres(self) -> bool:
        """Whether jobs live in PostgreSQL (``DATABASE_URL`` set) rather than the SQLite file."""
        return bool(self.database_url.get_secret_value())

    @property
    def archive_location(self) -> ArchiveLocation | None:
        """Return where delivered clips are kept: ``CLIP_ARCHIVE``, else ``CLIP_ARCHIVE_DIR``, else None."""
        if self.clip_archive is not None:
            return self.clip_archive
        return ArchiveLocation(folder=self.clip_archive_dir) if self.clip_archive_dir is not None else None

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Return every text to redact: the token, the keys, the archive's secret, the database URL."""
        keys = (self.discord_token, self.cometapi_key, self.clip_archive_s3_secret_access_key)
        tokens = tuple(key.get_secret_value() for key in keys if key.get_secret_value())
        url = self.database_url.get_secret_value()
        if not url:
            return tokens
        password = urlsplit(url).password or ""  # also alone: a driver's message may quote it
        return (*tokens, url, password, unquote(password))

    @property
    def max_image_bytes(self) -> int:
        """Return the largest accepted input image in bytes."""
        return int(self.max_image_mb * 1024 * 1024)

    @property
    def image_host_policy(self) -> ImageHostPolicy:
        """Return the rule deciding which URLs input images may be downloaded from."""
        return ImageHostPolicy.of(self.image_hosts, self.image_http_hosts)


def shard_ids_problem(ids: tuple[int, ...], count: int | None, count_valid: bool = True) -> str | None:
    """Say what is wrong with ``SHARD_IDS`` for ``SHARD_COUNT`` = ``count`` (None when nothing is)."""
    if count is None:
        # An invalid SHARD_COUNT has its own line already.
        return "it needs SHARD_COUNT, the number of shards of all processes together" if count_valid else None
    problems = []
    outside = sorted({i for i in ids if i >= count})
    if outside:
        problems.append(f"not below SHARD_COUNT={count}: {', '.join(map(str, outside))}")
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        problems.append(f"listed more than once: {', '.join(map(str, repeated))}")
    return "; ".join(problems) or None


def create_database_folder(settings: Settings) -> None:
    """Create the SQLite database's folder (nothing with PostgreSQL); raises ``OSError`` when it cannot."""
    if not settings.uses_postgres:
        settings.database_path.parent.mkdir(parents=True, exist_ok=True)


def read_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Build settings from the environment (and ``env_file``), raising ``SettingsError`` on problems.

    Nothing is created: the commands that open the database call ``create_database_folder`` next.
    """
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        raise SettingsError(describe_problems(exc), absent_settings(exc)) from None


# pydantic's error types for a value shorter than its minimum, which for a secret means it is empty.
EMPTY_ERRORS = frozenset({"too_short", "string_too_short"})


def absent_settings(exc: ValidationError) -> tuple[str, ...]:
    """Return the names (as variables) of the settings ``exc`` finds missing or empty."""
    return tuple(
        str(error["loc"][0]).upper()
        for error in exc.errors(include_input=False)
        if error["loc"] and (error["type"] == "missing" or error["type"] in EMPTY_ERRORS)
    )


def describe_problems(exc: ValidationError) -> list[str]:
    """Turn a pydantic error into one line per problem, naming the variable and what is expected."""
    problems = []
    for error in exc.errors(include_input=False):
        field = str(error["loc"][0]) if error["loc"] else "settings"
        variable = field.upper()
        expected = EXPECTATIONS.get(field, "a valid value")
        if error["type"] == "missing":
            problems.append(f"{variable} is missing: set it to {expected}.")
        elif error["type"] in EMPTY_ERRORS:
            problems.append(f"{variable} is empty: set it to {expected}.")
        else:
            problems.append(f"{variable} is invalid ({error['msg']}): expected {expected}.")
    return problems
