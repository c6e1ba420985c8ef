"""Every line the README's troubleshooting table quotes is still printed by the code (or the scripts)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# What a quoted line leaves open: an ellipsis, a <PLACEHOLDER>, a variable's NAME, a number, HOST:PORT,
# pydantic's own prefix, and punctuation that the code builds around interpolated values.
OPEN_PARTS = (
    r"…|<[A-Z]+>|\b[A-Z][A-Z_]+\b|\bN\b|\bM\b|HOST:PORT|python3|\b3\.10\b|Value error,"
    r"|[.;:(),](?: |$)|\(|\)"
)


def _sources() -> str:
    files = [p for d in ("bot", "cogs", "scripts") for p in (REPO / d).rglob("*") if p.is_file()]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files if p.suffix in ("", ".py"))
    return re.sub(r"\"\s*\n\s*f?\"", "", text)  # join implicitly concatenated f-string pieces


def _quoted_lines() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("| the bot prints | what to do |")[1].split("\n\n")[0]
    rows = table.strip().splitlines()[1:]
    return [quoted for row in rows for quoted in re.findall(r"`([^`]+)`", row.split(" | ")[0])]


def test_troubleshooting_rows_quote_lines_the_code_prints():
    sources = _sources()
    quoted = _quoted_lines()
    assert len(quoted) > 15
    missing = [
        (fragment, line)
        for line in quoted
        for fragment in (part.strip() for part in re.split(OPEN_PARTS, line))
        if len(fragment) >= 6 and fragment not in sources
    ]
    assert missing == []
