"""The documentation's code blocks follow the rules that let tests/project/test_readme_runs.py run them all.

Every fenced block names its language; a shell block is either run by that test or marked with what it
needs (few markers, and only where the block really uses it); and no command is written so that it only
works inside an activated virtualenv.
"""

from __future__ import annotations

import re

from tests.project.readme_blocks import NEEDS, REPO, all_blocks, doc_files

# A bare `python -m ...` or `python3 -m ...` runs whatever Python the reader's PATH has, without Motionbot.
BARE_PYTHON_MODULE = re.compile(r"(?<![\w/.])python3?(?:\.\d+)? -m (?!venv\b)")


def test_every_block_names_its_language() -> None:
    unnamed = [block.where for block in all_blocks() if not block.language]
    assert unnamed == [], "name the language of each block (sh for commands, text for anything else)"


def test_markers_name_a_known_need_that_the_block_really_has() -> None:
    problems = []
    for block in all_blocks():
        if block.needs is None:
            continue
        pattern = NEEDS.get(block.needs)
        if pattern is None or not block.is_shell:
            problems.append(f"{block.where}: <!-- needs: {block.needs} --> on a {block.language} block")
        elif not pattern.search(block.text):
            problems.append(f"{block.where}: marked as needing {block.needs}, but does not use it")
    assert problems == []


def test_markers_stay_few() -> None:
    shell = [block for block in all_blocks() if block.is_shell]
    marked = [block.where for block in shell if block.needs]
    assert len(marked) <= 5, marked  # lock (PyPI) and three Docker blocks today
    assert len(shell) - len(marked) >= 8  # most blocks are run


def test_no_command_needs_an_activated_virtualenv() -> None:
    files = [*doc_files(), REPO / ".env.example"]
    bare = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BARE_PYTHON_MODULE.search(line)
    ]
    assert bare == [], "write scripts/run ..., scripts/bench ... or .venv/bin/python -m ..."
