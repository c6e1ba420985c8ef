"""The fenced code blocks of the project's documentation, and the commands in its shell blocks.

Every block names its language. A shell block (``sh``) holds commands a reader types; each one is run by
``tests/project/test_readme_runs.py`` unless an HTML comment on the line before the fence says what it
needs that the tests do not have, such as ``<!-- needs: docker -->``. Other languages (``text``,
``python``) are never run. A command's trailing ``# or: OTHER COMMAND`` comment names an equivalent
command, which is run too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests import REPO

SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
# What a marked block may need, and what its text must then contain (a marker must be honest).
NEEDS = {
    "docker": re.compile(r"\bdocker\b"),
    "PyPI": re.compile(r"^scripts/lock\b", re.MULTILINE),
}
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*needs:\s*(.+?)\s*-->$")
_ALTERNATIVE = re.compile(r"^or:\s*(.+)$")


@dataclass(frozen=True)
class Command:
    """One command of a shell block, as the reader types it."""

    text: str
    line: int
    # The command a trailing "# or: ..." comment offers instead, or "".
    alternative: str = ""


@dataclass(frozen=True)
class Block:
    """One fenced code block of a documentation file."""

    path: Path
    line: int
    language: str
    text: str
    needs: str | None

    @property
    def where(self) -> str:
        """Return ``FILE:LINE`` of the opening fence, relative to the repository."""
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def is_shell(self) -> bool:
        """Return whether the block holds commands to type."""
        return self.language in SHELL_LANGUAGES

    def commands(self) -> list[Command]:
        """Return the block's commands: continuation lines joined, comment lines left out."""
        commands: list[Command] = []
        pending, start = "", 0
        for offset, raw in enumerate(self.text.splitlines(), start=self.line + 1):
            if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                continue
            pending, start = (pending + " " + raw.strip()).strip(), start or offset
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip()
                continue
            code, comment = split_comment(pending)
            found = _ALTERNATIVE.match(comment)
            commands.append(Command(code, start, found.group(1) if found else ""))
            pending, start = "", 0
        return commands


def doc_files() -> list[Path]:
    """Return the documentation files whose blocks are checked."""
    return [REPO / "README.md", REPO / "bench" / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def blocks_of(path: Path) -> list[Block]:
    """Return the fenced blocks of ``path`` in document order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = _closing_fence(lines, index, opening.group(1))
        text = "\n".join(lines[index + 1 : end])
        blocks.append(Block(path, index + 1, opening.group(2), text, _needs_before(lines, index)))
        index = end + 1
    return blocks


def all_blocks() -> list[Block]:
    """Return every fenced block of every documentation file."""
    return [block for path in doc_files() for block in blocks_of(path)]


def split_comment(line: str) -> tuple[str, str]:
    """Split a shell line into its code and the text of its trailing ``#`` comment (outside quotes)."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].rstrip(), line[position + 1 :].strip()
    return line.rstrip(), ""


def _closing_fence(lines: list[str], opening: int, fence: str) -> int:
    for index in range(opening + 1, len(lines)):
        if lines[index].strip() == fence:
            return index
    raise AssertionError(f"unclosed code block at line {opening + 1}")


def _needs_before(lines: list[str], fence: int) -> str | None:
    """Return what the ``<!-- needs: ... -->`` comment on the line before the fence names, if any."""
    if fence == 0:
        return None
    found = _MARKER.match(lines[fence - 1].strip())
    return found.group(1) if found else None


# -- lines the README quotes -----------------------------------------------------------------------

# What a quoted line leaves open: an ellipsis (with the space before it: "up to M …" is followed by
# "; run ..."), a <PLACEHOLDER>, NAME, FILE, N and M (numbers), HOST:PORT.
_OPEN = re.compile(r" ?…|<[A-Z_]+>|\bNAME\b|\bFILE\b|\b[NM]\b|\bHOST:PORT\b")
_OPEN_REGEX = {
    "…": ".*?",
    " …": ".*?",
    "NAME": r"\S+",
    "FILE": r"\S+",
    "N": r"\d+",
    "M": r"\d+",
    "HOST:PORT": r"\S+:\d+",
}


def quote_pattern(quote: str) -> re.Pattern[str]:
    """Return a regex that finds ``quote`` in a printed line, its open parts matching anything fitting."""
    pieces, position = [], 0
    for found in _OPEN.finditer(quote):
        pieces += [re.escape(quote[position : found.start()]), _OPEN_REGEX.get(found.group(), ".+?")]
        position = found.end()
    return re.compile("".join([*pieces, re.escape(quote[position:])]))


def readme_text() -> str:
    """Return README.md."""
    return (REPO / "README.md").read_text(encoding="utf-8")


def troubleshooting_quotes() -> list[str]:
    """Return every line the README's troubleshooting table quotes in its "the bot prints" column.

    A quote without a space (``COMETAPI_KEY`` in "also `COMETAPI_KEY`") names a setting, not a line.
    """
    table = readme_text().split("| the bot prints | what to do |")[1].split("\n\n")[0]
    rows = table.strip().splitlines()[1:]
    quoted = [quote for row in rows for quote in re.findall(r"`([^`]+)`", row.split(" | ")[0])]
    return [quote for quote in quoted if " " in quote]


def readme_quote(starting: str) -> str:
    """Return the one line the README quotes (in backticks) that begins with ``starting``."""
    found = sorted(set(re.findall(rf"`({re.escape(starting)}[^`]*)`", readme_text())))
    assert len(found) == 1, f"the README should quote one line starting {starting!r}: {found}"
    return found[0]


def metrics_table() -> dict[str, tuple[str, frozenset[str]]]:
    """Return the README's ``/metrics`` table: metric name -> (type, label names)."""
    table = readme_text().split("| metric | type | meaning |")[1].split("\n\n")[0]
    metrics: dict[str, tuple[str, frozenset[str]]] = {}
    for row in table.strip().splitlines()[1:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split(" | ")]
        found = re.fullmatch(r"`(\w+)(?:\{([\w,]*)\})?`", cells[0])
        assert found is not None, f"a metrics row that names no metric: {row}"
        labels = frozenset(filter(None, (found.group(2) or "").split(",")))
        metrics[found.group(1)] = (cells[1], labels)
    return metrics
