"""The import contracts in pyproject.toml (import-linter) hold, and each one fails on the import it forbids.

``scripts/test`` runs ``lint-imports`` on the tree before pytest. Here each contract is shown to
bite: a copy of ``bot/`` and ``cogs/`` gets one deliberately bad import, and ``lint-imports`` must
fail naming the contract that forbids it. A check that passes whatever the code does would let the
layers rot unnoticed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import REPO as ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_copy(tmp_path: Path, module: str = "", line: str = "") -> subprocess.CompletedProcess[str]:
    """Run lint-imports on a copy of the code where ``module`` (a path) ends with ``line``."""
    for package in ("bot", "cogs"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if module:
        with (tmp_path / module).open("a", encoding="utf-8") as source:
            source.write(f"\n{line}\n")
    # lint-imports puts its working folder first on sys.path, so it reads the copy, not the clone;
    # wide columns keep each contract's name and verdict on one line.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "500"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_copy_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_copy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        pytest.param(
            "bot/tracking/late_watch.py",
            "import cogs.cards",
            "bot/ never imports cogs/",
            id="core-imports-a-cog",
        ),
        pytest.param(
            "bot/client/bot.py",
            "from cogs.cards import CardRenderer",
            "bot/ never imports cogs/",
            id="client-imports-a-cog",
        ),
        pytest.param(
            "bot/tracking/late_watch.py",
            "from bot.store.job_rules import late_success_allowed",
            "Only bot.store imports its own modules",
            id="private-module-of-the-store",
        ),
        pytest.param(
            "cogs/commands/_show.py",
            "from cogs.cards._render import CardRenderer",
            "Only cogs.cards imports its own modules",
            id="private-module-of-a-feature",
        ),
        pytest.param(
            "bot/tracking/events.py",
            "from bot.tracking.tracker import JobTracker",
            "No import cycle",
            id="cycle-inside-a-package",
        ),
        pytest.param(
            "bot/provider/state.py",
            "from bot.tracking import JobTracker",
            "bot/ is layered",
            id="cycle-between-packages",
        ),
        pytest.param(
            "cogs/cards/_render.py",
            "from cogs.buttons import setup",
            "cogs/ is layered",
            id="cycle-between-features",
        ),
        pytest.param(
            "bot/checks/images.py",
            "import discord",
            "The core knows nothing of Discord",
            id="core-imports-discord",
        ),
    ],
)
def test_a_bad_import_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    result = lint_copy(tmp_path, module, line)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [row for row in result.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(contract in row for row in broken), result.stdout
