"""Read the deployment files the way Docker does, with no Docker engine: for the packaging tests.

- ``load_compose``: a compose file as ``docker compose config`` sees it: YAML anchors and ``<<``
  merges resolved (PyYAML's safe loader does both), then ``${...}`` interpolated as the Compose
  specification's "Interpolation" section says: ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
  ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+replacement}``, ``$VAR`` and ``$$`` for a literal ``$``.
- ``docker_ignored``: whether the build context leaves a path out, by moby's patternmatcher rules
  (Docker's ".dockerignore file" reference): patterns relative to the context root, ``*`` and ``?``
  within one path element, ``**`` across any number of them, a pattern also excluding everything
  under a folder it matches, ``!`` re-including, and the last matching line wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class InterpolationError(ValueError):
    """A required variable (``${VAR:?error}`` or ``${VAR?error}``) is missing, as Compose refuses it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"required variable {name} is missing a value: {message}")
        self.name = name
        self.message = message


def _substitute(match: re.Match[str], env: Mapping[str, str]) -> str:
    if match["escaped"]:
        return "$"
    name = match["name"] or match["bare"]
    value = env.get(name)
    op, arg = match["op"], match["arg"] or ""
    unset_or_empty = not value if op and op.startswith(":") else value is None
    if op in (":-", "-"):
        return arg if unset_or_empty else str(value)
    if op in (":?", "?"):
        if unset_or_empty:
            raise InterpolationError(name, arg)
        return str(value)
    if op in (":+", "+"):
        return "" if unset_or_empty else arg
    return value or ""


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    """Return ``node`` with every string's variables substituted from ``env`` (Compose's rules)."""
    if isinstance(node, str):
        return _VARIABLE.sub(lambda match: _substitute(match, env), node)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    return node


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        node = [*node.keys(), *node.values()]
    return [text for item in node for text in _strings(item)] if isinstance(node, list) else []


def variables(path: Path) -> list[re.Match[str]]:
    """Every variable reference Compose would interpolate in the file (comments and ``$$`` aside)."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [match for text in _strings(loaded) for match in _VARIABLE.finditer(text) if not match["escaped"]]


def load_compose(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The compose file at ``path`` with anchors merged and variables interpolated from ``env``."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return interpolate(loaded, env)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    # A pattern that matches a folder also leaves out everything under it.
    return re.compile("".join(parts) + "(?:/.*)?")


def dockerignore_rules(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """The ``(excludes, regex)`` rules of a .dockerignore file, in order (comments and blanks dropped)."""
    rules = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        rules.append((excludes, _pattern_regex(pattern)))
    return rules


def docker_ignored(rules: list[tuple[bool, re.Pattern[str]]], relative: str) -> bool:
    """Whether the build context leaves out ``relative``: the last rule that matches decides."""
    ignored = False
    for excludes, regex in rules:
        if regex.fullmatch(relative):
            ignored = excludes
    return ignored
