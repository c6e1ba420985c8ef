"""Every catalogue key the code names exists in every language, so a typo in a key fails CI.

The code is read, not run: string literals shaped like ``section.key`` are collected from
``bot/`` and ``cogs/`` with the ``ast`` module and looked up in the shipped catalogue.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from bot.i18n import Lang, catalogue
from tests import REPO as ROOT

SOURCES = sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")])
KEY_SHAPE = re.compile(r"[a-z_]+(?:\.[a-z0-9_]+)+")
# Calls whose string arguments are catalogue keys: text(...), x.text(...), Refusal(...),
# InvalidSetting(...) and key_str(default, key).
KEY_CALLS = frozenset({"text", "Refusal", "InvalidSetting", "key_str"})


def call_name(node: ast.Call) -> str | None:
    """The called function's name, for ``f(...)`` and ``obj.f(...)``."""
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def string_leaves(node: ast.expr) -> Iterator[str]:
    """String constants an argument can evaluate to (through ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from string_leaves(node.body)
        yield from string_leaves(node.orelse)


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def keys_passed_to_calls(path: Path) -> Iterator[tuple[int, str]]:
    """(line, key) for every key-shaped literal passed to a catalogue call."""
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Call) and call_name(node) in KEY_CALLS:
            for argument in node.args:
                for value in string_leaves(argument):
                    if KEY_SHAPE.fullmatch(value):
                        yield argument.lineno, value


def section_literals(path: Path, sections: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line, key) for every key-shaped literal anywhere whose first part is a catalogue section."""
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if KEY_SHAPE.fullmatch(value) and value.split(".", 1)[0] in sections:
                yield node.lineno, value


def fstring_prefixes(path: Path, sections: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line, prefix) for f-strings such as ``f"status.{...}"`` that build a key from a section."""
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                prefix = head.value
                if prefix.endswith(".") and prefix.split(".", 1)[0] in sections:
                    yield node.lineno, prefix


def every_language_keys() -> frozenset[str]:
    """Keys that exist in all languages."""
    shipped = catalogue()
    return frozenset.intersection(*(shipped.keys(lang) for lang in Lang))


def sections_of(keys: frozenset[str]) -> frozenset[str]:
    return frozenset(key.split(".", 1)[0] for key in keys)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_keys_passed_to_catalogue_calls_exist() -> None:
    """Keys given to text(), .text(), Refusal(), InvalidSetting() and key_str() are in the catalogue."""
    known = every_language_keys()
    missing = [
        f"{relative(path)}:{line}: {key}"
        for path in SOURCES
        for line, key in keys_passed_to_calls(path)
        if key not in known
    ]
    assert missing == []


def test_key_literals_anywhere_exist() -> None:
    """Key-shaped literals in dicts, defaults or branches (e.g. "settings.channel_added") exist too."""
    known = every_language_keys()
    sections = sections_of(known)
    missing = [
        f"{relative(path)}:{line}: {key}"
        for path in SOURCES
        for line, key in section_literals(path, sections)
        if key not in known
    ]
    assert missing == []


def test_keys_built_from_a_prefix_have_entries_under_it() -> None:
    """An f-string key such as f"status.{status}" names a prefix that the catalogue has keys under."""
    known = every_language_keys()
    sections = sections_of(known)
    empty = [
        f"{relative(path)}:{line}: {prefix}…"
        for path in SOURCES
        for line, prefix in fstring_prefixes(path, sections)
        if not any(key.startswith(prefix) for key in known)
    ]
    assert empty == []


def test_the_scan_finds_the_keys_the_code_uses() -> None:
    """The scan sees well-known keys in the files that use them, so the checks cannot pass vacuously."""
    by_file = {relative(path): {key for _, key in keys_passed_to_calls(path)} for path in SOURCES}
    assert "error.no_image" in by_file["cogs/triggers/_animate.py"]
    assert "settings.permission_needed" in by_file["bot/client/tree.py"]
    assert "extend.clip_out_of_range" in by_file["bot/intake/job_intake.py"]
    assert "commands.animate.name" in by_file["cogs/triggers/_animate.py"]
    sections = sections_of(every_language_keys())
    core_literals = {key for _, key in section_literals(ROOT / "bot/guild_settings.py", sections)}
    assert "settings.channel_added" in core_literals
    assert "status." in {prefix for _, prefix in fstring_prefixes(ROOT / "cogs/commands/_jobs.py", sections)}
    assert sum(len(keys) for keys in by_file.values()) > 100


def test_a_typo_in_a_key_is_reported(tmp_path: Path) -> None:
    """A misspelt key, even in an unknown section, is reported with its file and line."""
    source = tmp_path / "typo.py"
    source.write_text(
        'raise Refusal("eror.no_image")\nlabel = text(bot, lang, "jobs.titel")\n', encoding="utf-8"
    )
    found = list(keys_passed_to_calls(source))
    known = every_language_keys()
    assert [(line, key) for line, key in found if key not in known] == [
        (1, "eror.no_image"),
        (2, "jobs.titel"),
    ]


# Families whose keys the code builds from a value (f"status.{job.status.value}"): a key under one of
# these prefixes counts as used. Each prefix must really be built somewhere (checked below).
DYNAMIC_FAMILIES = frozenset(
    {
        "alert.budget.",
        "card.state.",
        "failure.",
        "image.",
        "motion.",
        "prompt.",
        "quality.",
        "quota.budget.",
        "quota.exceeded.",
        "quota.spend.",
        "settings.field.",
        "status.",
    }
)


def used_keys_and_prefixes() -> tuple[set[str], set[str]]:
    """Every key-shaped literal of a catalogue section, and every f-string prefix, in bot/ and cogs/."""
    sections = sections_of(every_language_keys())
    keys: set[str] = set()
    prefixes: set[str] = set()
    for path in SOURCES:
        keys.update(key for _, key in keys_passed_to_calls(path))
        keys.update(key for _, key in section_literals(path, sections))
        prefixes.update(prefix for _, prefix in fstring_prefixes(path, sections))
    return keys, prefixes


def test_every_catalogue_key_is_used_somewhere():
    """A key no code names is a text no one ever sees: use it where it belongs or delete it."""
    used, _ = used_keys_and_prefixes()
    unused = sorted(
        key
        for key in every_language_keys()
        if key not in used and not any(key.startswith(prefix) for prefix in DYNAMIC_FAMILIES)
    )
    assert unused == []


def test_the_dynamic_families_are_really_built_by_the_code():
    _, prefixes = used_keys_and_prefixes()
    assert prefixes >= DYNAMIC_FAMILIES
