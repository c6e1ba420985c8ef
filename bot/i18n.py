"""The message catalogue: every text the bot shows, in English and Vietnamese.

Messages live in ``bot/locales/<lang>.toml`` as tables of keys; they are flattened to dotted keys
(``[image]`` + ``too_large`` → ``image.too_large``) and filled with ``str.format`` named
placeholders. Nothing here knows about Discord: callers pass the interaction's locale as a string.

A message that depends on a number is a table of CLDR plural forms (``one``, ``other``...; English has
two, Vietnamese one) and an optional ``by`` naming the parameter that chooses (default ``count``):
Babel's plural rules pick the form, so "1 clip" and "2 clips" come from one key.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from importlib import resources
from types import MappingProxyType

from babel import Locale
from babel.dates import format_date, format_timedelta

LOCALES_PACKAGE = "bot"
LOCALES_FOLDER = "locales"

_FILLED, _EMPTY = "▰", "▱"
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})
PLURAL_BY = "by"


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


class Catalogue:
    """All messages of all languages, looked up by language and dotted key."""

    def __init__(self, messages: Mapping[Lang, Mapping[str, str]]) -> None:
        self._messages: dict[Lang, dict[str, str]] = {}
        self._plurals: dict[Lang, dict[str, dict[str, str]]] = {}
        for lang in Lang:
            self._messages[lang], self._plurals[lang] = split_plurals(messages.get(lang, {}))

    @classmethod
    def load(cls) -> Catalogue:
        """Read every language's TOML file shipped in ``bot/locales``."""
        folder = resources.files(LOCALES_PACKAGE).joinpath(LOCALES_FOLDER)
        texts = {lang: folder.joinpath(f"{lang}.toml").read_text(encoding="utf-8") for lang in Lang}
        return cls({lang: _messages(text) for lang, text in texts.items()})

    def keys(self, lang: Lang) -> frozenset[str]:
        """Return every key the language defines (a plural table is one key)."""
        return frozenset(self._messages[lang]) | frozenset(self._plurals[lang])

    def template(self, lang: Lang, key: str) -> str | None:
        """Return the raw template of a key (a plural's ``other`` form), or None if the language lacks it."""
        forms = self._plurals[lang].get(key)
        return forms["other"] if forms else self._messages[lang].get(key)

    def plural_forms(self, lang: Lang, key: str) -> dict[str, str]:
        """Return a plural key's templates by CLDR form (empty for a plain key)."""
        return {form: text for form, text in self._plurals[lang].get(key, {}).items() if form in PLURAL_FORMS}

    def text(self, lang: Lang, key: str, **params: object) -> str:
        """Return the message for ``key`` in ``lang`` with its placeholders filled.

        Raises KeyError for an unknown key or a missing parameter: both are programming errors that
        the tests must catch, never something to paper over at run time.
        """
        template = self._choose(lang, key, params)
        if template is None:
            raise KeyError(f"no message {key!r} in {lang.value}")
        try:
            return template.format(**params)
        except KeyError as exc:
            raise KeyError(f"message {key!r} needs parameter {exc.args[0]!r}") from None

    def _choose(self, lang: Lang, key: str, params: Mapping[str, object]) -> str | None:
        forms = self._plurals[lang].get(key)
        if forms is None:
            return self._messages[lang].get(key)
        by = forms.get(PLURAL_BY, "count")
        if by not in params:
            raise KeyError(f"message {key!r} needs parameter {by!r}")
        form = Locale.parse(lang.value).plural_form(_number(params[by]))
        return forms.get(form, forms["other"])

    def format_duration(self, seconds: float, lang: Lang) -> str:
        """Return a short duration such as "1 min, 12 sec" ("1 phút 12 giây"), from CLDR via Babel."""
        total = max(0, int(seconds))
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            parts = [_unit(hours * 3600, lang), _unit(minutes * 60, lang) if minutes else ""]
        elif minutes:
            parts = [_unit(minutes * 60, lang), _unit(secs, lang) if secs else ""]
        else:
            parts = [_unit(secs, lang)]
        return " ".join(part for part in parts if part)


def _unit(seconds: int, lang: Lang) -> str:
    # Callers pass whole hours, minutes or seconds, so Babel never rounds; threshold=1 picks that unit.
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1, format="short", locale=lang.value)


def _number(value: object) -> float:
    if isinstance(value, int | float):
        return value
    raise KeyError(f"a plural needs a number, not {value!r}")


def split_plurals(flat: Mapping[str, str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Split flattened messages into plain ones and plural tables (a table is a key with ``.other``)."""
    tables = {key.removesuffix(".other") for key in flat if key.endswith(".other")}
    plain: dict[str, str] = {}
    plurals: dict[str, dict[str, str]] = {table: {} for table in tables}
    for key, text in flat.items():
        table, _, form = key.rpartition(".")
        if table in tables and (form in PLURAL_FORMS or form == PLURAL_BY):
            plurals[table][form] = text
        else:
            plain[key] = text
    return plain, plurals


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


@functools.lru_cache(maxsize=len(Lang) * 2)
def _messages(toml: str) -> Mapping[str, str]:
    """Return the flattened messages of one catalogue file's text, parsed once per text.

    Each bot a process opens (every end-to-end test's) reads the same files; a changed file is a new
    text, parsed anew.
    """
    return MappingProxyType(flatten(tomllib.loads(toml)))


@functools.cache
def catalogue() -> Catalogue:
    """Return the shipped catalogue, loaded once per process."""
    return Catalogue.load()


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


def format_day(day: dt.date, lang: Lang) -> str:
    """Return a short day and month such as "1 Mar" / "1 thg 3" (CLDR via Babel), for chart axes."""
    return format_date(day, "d MMM", locale=lang.value)
