"""Validation of application command bulk overwrites, with Discord's rules and error shapes."""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any

from .errors import DiscordAPIError, FormErrors, FormPath

CHAT_INPUT, USER, MESSAGE = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, CHANNEL, NUMBER = 3, 4, 7, 10
# The option types that may carry each field (discord-api-docs, application-commands.mdx, "Application
# Command Option Structure": choices and autocomplete for STRING, INTEGER and NUMBER; min_value and
# max_value for INTEGER and NUMBER; min_length and max_length for STRING; channel_types for CHANNEL).
# A ROLE, USER, MENTIONABLE, BOOLEAN or ATTACHMENT option carries none of them. The docs name no error
# code for a field on the wrong type: APPLICATION_COMMAND_OPTION_FIELD_TYPE_INVALID is the double's own.
FIELD_TYPES = {
    "choices": frozenset({STRING, INTEGER, NUMBER}),
    "autocomplete": frozenset({STRING, INTEGER, NUMBER}),
    "min_value": frozenset({INTEGER, NUMBER}),
    "max_value": frozenset({INTEGER, NUMBER}),
    "min_length": frozenset({STRING}),
    "max_length": frozenset({STRING}),
    "channel_types": frozenset({CHANNEL}),
}
MAX_PER_TYPE = {CHAT_INPUT: 100, USER: 15, MESSAGE: 15}
MAX_COMMAND_SIZE = 8000
LOCALES = frozenset(
    [
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    ]
)
_EXTRA_NAME_CHARS = frozenset("-_'")


def is_valid_slash_name(name: Any) -> bool:
    """``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, lowercase where a lowercase form exists."""
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return False
    return all(_valid_name_char(c) for c in name)


def _valid_name_char(char: str) -> bool:
    category = unicodedata.category(char)
    if char in _EXTRA_NAME_CHARS or category[0] == "N":
        return True
    if category[0] == "L":
        return char.lower() == char
    return category in ("Mn", "Mc") and ("\u0900" <= char <= "\u097f" or "\u0e00" <= char <= "\u0e7f")


def validate_commands(body: Any) -> list[dict[str, Any]]:
    """Validate a bulk-overwrite body; return it, raising 400/50035 like Discord on any error."""
    if not isinstance(body, list):
        raise DiscordAPIError(
            400,
            50035,
            "Invalid Form Body",
            errors={"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]},
        )
    errors = FormErrors()
    for index, command in enumerate(body):
        _check_command(command, (index,), errors)
    _check_duplicates(body, errors)
    errors.raise_if_any()
    _check_counts(body)
    return body


def _check_command(command: Any, path: FormPath, errors: FormErrors) -> None:
    if not isinstance(command, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    kind = command.get("type", CHAT_INPUT)
    if kind not in MAX_PER_TYPE:
        errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        return
    _check_name(command, path, errors, slash=kind == CHAT_INPUT)
    if kind == CHAT_INPUT:
        _check_description(command, path, errors)
        _check_options(command.get("options") or [], (*path, "options"), errors, depth=0)
    elif command.get("description"):
        errors.add((*path, "description"), "BASE_TYPE_MAX_LENGTH", "Must be 0 or fewer in length.")
    elif command.get("options"):
        errors.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 0 or fewer in length.")
    if _command_size(command) > MAX_COMMAND_SIZE:
        errors.add(
            path, "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({MAX_COMMAND_SIZE})"
        )


def _check_name(entity: dict[str, Any], path: FormPath, errors: FormErrors, *, slash: bool) -> None:
    names = {None: entity.get("name"), **(entity.get("name_localizations") or {})}
    for locale, name in names.items():
        where = (*path, "name") if locale is None else (*path, "name_localizations", locale)
        if locale is not None and locale not in LOCALES:
            errors.add(where, "LOCALE_INVALID", f"Invalid locale: {locale}")
        valid = is_valid_slash_name(name) if slash else isinstance(name, str) and 1 <= len(name) <= 32
        if not valid:
            errors.add(where, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _check_description(entity: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    texts = {None: entity.get("description"), **(entity.get("description_localizations") or {})}
    for locale, text in texts.items():
        where = (*path, "description") if locale is None else (*path, "description_localizations", locale)
        if locale is not None and locale not in LOCALES:
            errors.add(where, "LOCALE_INVALID", f"Invalid locale: {locale}")
        errors.bad_length(where, text if isinstance(text, str) else None, 1, 100)


def _check_options(options: list[Any], path: FormPath, errors: FormErrors, *, depth: int) -> None:
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    kinds = [o.get("type") for o in options if isinstance(o, dict)]
    nested = [k in (SUB_COMMAND, SUB_COMMAND_GROUP) for k in kinds]
    if any(nested) and not all(nested):
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all other types",
        )
    _check_required_order(options, path, errors)
    names = Counter(o.get("name") for o in options if isinstance(o, dict))
    for index, option in enumerate(options):
        if names[option.get("name")] > 1:
            errors.add(
                (*path, index, "name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        _check_option(option, (*path, index), errors, depth=depth)


def _check_required_order(options: list[Any], path: FormPath, errors: FormErrors) -> None:
    seen_optional = False
    for index, option in enumerate(options):
        required = bool(option.get("required")) if isinstance(option, dict) else False
        if required and seen_optional:
            errors.add(
                (*path, index, "required"),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        seen_optional = seen_optional or not required


def _check_option(option: Any, path: FormPath, errors: FormErrors, *, depth: int) -> None:
    if not isinstance(option, dict) or option.get("type") not in range(1, 12):
        errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, ..., 11}.")
        return
    _check_name(option, path, errors, slash=True)
    _check_description(option, path, errors)
    kind = option["type"]
    if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
        if depth >= (1 if kind == SUB_COMMAND_GROUP else 2):
            errors.add(
                (*path, "type"),
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-commands cannot be nested here",
            )
        _check_options(option.get("options") or [], (*path, "options"), errors, depth=depth + 1)
        return
    _check_fields_for_type(option, path, errors)
    _check_choices(option, path, errors)


def _check_fields_for_type(option: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    for field, kinds in FIELD_TYPES.items():
        value = option.get(field)
        if value not in (None, False, []) and option["type"] not in kinds:
            errors.add(
                (*path, field),
                "APPLICATION_COMMAND_OPTION_FIELD_TYPE_INVALID",
                f"{field} is not allowed for option type {option['type']}",
            )


def _check_choices(option: dict[str, Any], path: FormPath, errors: FormErrors) -> None:
    choices = option.get("choices") or []
    if len(choices) > 25:
        errors.add((*path, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    if choices and option.get("autocomplete"):
        errors.add(
            (*path, "autocomplete"),
            "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
            "Autocomplete cannot be used with choices",
        )
    for index, choice in enumerate(choices):
        errors.bad_length((*path, "choices", index, "name"), choice.get("name"), 1, 100)
        if isinstance(choice.get("value"), str):
            errors.max_length((*path, "choices", index, "value"), choice["value"], 100)


def _check_duplicates(body: list[Any], errors: FormErrors) -> None:
    seen: set[tuple[Any, Any]] = set()
    for index, command in enumerate(body):
        if not isinstance(command, dict):
            continue
        key = (command.get("type", CHAT_INPUT), command.get("name"))
        if key in seen:
            errors.add(
                (index, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add(key)


def _check_counts(body: list[dict[str, Any]]) -> None:
    counts = Counter(command.get("type", CHAT_INPUT) for command in body)
    for kind, limit in MAX_PER_TYPE.items():
        if counts[kind] > limit:
            raise DiscordAPIError(400, 30032, f"Maximum number of application commands reached ({limit})")


def _command_size(entity: dict[str, Any]) -> int:
    size = _longest(entity, "name") + _longest(entity, "description")
    for choice in entity.get("choices") or []:
        size += _longest(choice, "name") + len(str(choice.get("value", "")))
    return size + sum(_command_size(o) for o in entity.get("options") or [] if isinstance(o, dict))


def _longest(entity: dict[str, Any], key: str) -> int:
    values = [entity.get(key) or "", *(entity.get(f"{key}_localizations") or {}).values()]
    return max(len(str(v)) for v in values)
