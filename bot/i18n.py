"""The message catalogue: every text the bot shows, in English and Vietnamese.

Messages live in ``bot/locales/<lang>.toml`` as tables of keys; they are flattened to dotted keys
(``[image]`` + ``too_large`` → ``image.too_large``) and filled with ``str.format`` named
placeholders. Nothing here knows about Discord: callers pass the interaction's locale as a string.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from importlib import resources

LOCALES_PACKAGE = "bot"
LOCALES_FOLDER = "locales"

_FILLED, _EMPTY = "▰", "▱"


class Lang(StrEnum):
    """A language the catalogue has; the value is the file name stem and the Discord locale prefix."""

    EN = "en"
    VI = "vi"


def resolve_locale(locale: str | None) -> Lang:
    """Return the catalogue language for a Discord locale (``vi`` → VI; anything else → EN)."""
    if not locale:
        return Lang.EN
    prefix = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    return Lang.VI if prefix == Lang.VI.value else Lang.EN


def placeholders(template: str) -> frozenset[str]:
    """Return the names of the ``{placeholders}`` a template uses."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(template) if field)


class Catalogue:
    """All messages of all languages, looked up by language and dotted key."""

    def __init__(self, messages: Mapping[Lang, Mapping[str, str]]) -> None:
        self._messages = {lang: dict(messages.get(lang, {})) for lang in Lang}

    @classmethod
    def load(cls) -> Catalogue:
        """Read every language's TOML file shipped in ``bot/locales``."""
        folder = resources.files(LOCALES_PACKAGE).joinpath(LOCALES_FOLDER)
        messages = {
            lang: flatten(tomllib.loads(folder.joinpath(f"{lang}.toml").read_text(encoding="utf-8")))
            for lang in Lang
        }
        return cls(messages)

    def keys(self, lang: Lang) -> frozenset[str]:
        """Return every key the language defines."""
        return frozenset(self._messages[lang])

    def template(self, lang: Lang, key: str) -> str | None:
        """Return the raw template of a key, or None if the language lacks it (for translators)."""
        return self._messages[lang].get(key)

    def text(self, lang: Lang, key: str, **params: object) -> str:
        """Return the message for ``key`` in ``lang`` with its placeholders filled.

        Raises KeyError for an unknown key or a missing parameter: both are programming errors that
        the tests must catch, never something to paper over at run time.
        """
        template = self._messages[lang].get(key)
        if template is None:
            raise KeyError(f"no message {key!r} in {lang.value}")
        try:
            return template.format(**params)
        except KeyError as exc:
            raise KeyError(f"message {key!r} needs parameter {exc.args[0]!r}") from None

    def format_duration(self, seconds: float, lang: Lang) -> str:
        """Return a short duration such as "1 min 12 s" ("1 phút 12 giây")."""
        total = max(0, int(seconds))
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            key = "duration.hours_minutes" if minutes else "duration.hours"
        elif minutes:
            key = "duration.minutes_seconds" if secs else "duration.minutes"
        else:
            key = "duration.seconds"
        return self.text(lang, key, h=hours, m=minutes, s=secs)


def ordinal_key(n: int) -> str:
    """Return the catalogue key of the ordinal form of ``n`` (1st, 2nd, 3rd, 11th, 21st...)."""
    if n % 100 in (11, 12, 13):
        return "ordinal.th"
    return {1: "ordinal.st", 2: "ordinal.nd", 3: "ordinal.rd"}.get(n % 10, "ordinal.th")


def flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """Flatten nested TOML tables into dotted keys; every leaf must be a string."""
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise ValueError(f"message {key!r} must be a string, not {type(value).__name__}")
    return flat


@functools.cache
def catalogue() -> Catalogue:
    """Return the shipped catalogue, loaded once per process."""
    return Catalogue.load()


def t(locale: str | None, key: str, **params: object) -> str:
    """Return the message for ``key`` in the language of a Discord locale string."""
    return catalogue().text(resolve_locale(locale), key, **params)


def format_duration(seconds: float, lang: Lang) -> str:
    """Return a short localized duration such as "1 min 12 s" / "1 phút 12 giây"."""
    return catalogue().format_duration(seconds, lang)


def progress_bar(percent: float, width: int = 10) -> str:
    """Return a bar such as ``▰▰▰▱▱▱▱▱▱▱`` for 30 %; it is full only at 100 %."""
    if width < 1:
        raise ValueError("width must be at least 1")
    clamped = min(100.0, max(0.0, percent))
    filled = int(clamped * width // 100)
    return _FILLED * filled + _EMPTY * (width - filled)


def discord_timestamp(when: dt.datetime) -> int:
    """Return the Unix seconds Discord's ``<t:…>`` markup expects, from an aware datetime."""
    if when.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return int(when.timestamp())
