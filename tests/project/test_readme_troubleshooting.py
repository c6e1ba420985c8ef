"""Every line the README's troubleshooting table quotes is printed by the bot (or a script) in its situation.

Each situation of ``tests/project/troubleshooting_situations.py`` and
``tests/project/troubleshooting_discord.py`` makes the real process fail the way a reader's set-up can;
each quoted line must match a line one of them printed. The few rows no test here can provoke are listed
in ``NOT_PROVOKED``, with the reason; those are matched against the texts the code can print (its string
literals, never its docstrings or comments), each quoted line within one of them.
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from tests.project.readme_blocks import REPO, quote_pattern, troubleshooting_quotes
from tests.project.troubleshooting_discord import DISCORD_SITUATIONS
from tests.project.troubleshooting_situations import SITUATIONS, Situation, postgres_situations

NOT_PROVOKED = {
    "the database file … could not be switched to WAL mode …": "SQLite refuses WAL only on file systems "
    "without shared memory (some network shares); none is at hand",
    "stopped by an unexpected error (…)": "the line for a bug nobody has found yet",
    "cannot open … (…); check DATABASE_URL and the PostgreSQL server's log": "a refusal "
    "other than those provoked (a server out of connections, say)",
}
AT_ONCE = 3


async def _printed(situations: list[Situation], folder: Path) -> list[str]:
    """Run ``situations`` (a few at once) and return every line they printed."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(situation: Situation) -> str:
        async with gate:
            place = folder / situation.__name__
            place.mkdir()
            return await situation(place)

    outputs = await asyncio.gather(*(one(situation) for situation in situations))
    return [line for output in outputs for line in output.splitlines()]


def _postgres(request: pytest.FixtureRequest) -> list[Situation]:
    """Return the PostgreSQL situations, or none where no PostgreSQL server can be started."""
    try:
        return postgres_situations(request.getfixturevalue("postgres_server"))
    except pytest.skip.Exception:
        return []


def code_texts() -> list[str]:
    """Return the string literals of bot/ and cogs/ (f-strings with ``…`` for their fields), no docstrings."""
    texts: list[str] = []
    for path in sorted([*(REPO / "bot").rglob("*.py"), *(REPO / "cogs").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree) if _has_docstring(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                texts.append(node.value)
            elif isinstance(node, ast.JoinedStr):
                texts.append("".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values))
    return texts


def _has_docstring(node: ast.AST) -> bool:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return (
        isinstance(node, kinds)
        and bool(node.body)
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    )


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_every_quoted_line_is_printed_in_its_situation(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    printed = await _printed([*DISCORD_SITUATIONS, *SITUATIONS, *_postgres(request)], tmp_path)
    texts = code_texts()
    missing = []
    for quote in troubleshooting_quotes():
        pattern = quote_pattern(quote)
        if any(pattern.search(line) for line in printed):
            continue
        if quote not in NOT_PROVOKED or not any(pattern.search(text) for text in texts):
            missing.append(quote)
    assert not missing, (
        f"no situation printed {missing}: make the README quote what the bot prints, or add the "
        "situation that prints it to tests/project/troubleshooting_situations.py (or "
        "troubleshooting_discord.py)"
    )


def test_rows_not_provoked_are_still_in_the_table() -> None:
    assert set(NOT_PROVOKED) <= set(troubleshooting_quotes())


def test_docstrings_do_not_count_as_printed() -> None:
    """The table's old PostgreSQL row matched only through words of bot/cli/move.py's docstring."""
    old_row = quote_pattern("the PostgreSQL … cannot be used (…); check DATABASE_URL …")
    assert "cannot be used" in (REPO / "bot" / "cli" / "move.py").read_text(encoding="utf-8")
    assert not any(old_row.search(text) for text in code_texts())
