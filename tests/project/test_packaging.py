"""An installed Motionbot (the Dockerfile's ``pip install .``) has every package and every data file.

The code reads its data files from beside its modules at run time: the migrations
(``bot/store/migrations/<dialect>/*.sql``), the message catalogue (``bot/locales/*.toml``) and the
top-level domains (``bot/checks/tlds.txt``). A package or a file that ``pyproject.toml`` forgets
still works from a clone (editable install) and only breaks in the image, so the wheel is built
here from a copy of the sources, as pip builds it, and compared with the tree. Building it must not
warn that the packaging configuration is deprecated either.
"""

import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass

import pytest

from tests import REPO as ROOT

DATA_FILES = (
    "store/migrations/sqlite/*.sql",
    "store/migrations/postgres/*.sql",
    "locales/*.toml",
    "checks/tlds.txt",
)


@dataclass(frozen=True)
class Built:
    """The names in the wheel, and what pip printed while building it."""

    names: set[str]
    output: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the wheel, as pip does, from a copy of what the Dockerfile copies into the image."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    for package in ("bot", "cogs"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-v"]
    result = subprocess.run(
        [*pip, "--wheel-dir", str(folder / "out"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = (folder / "out").glob("motionbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return Built(set(archive.namelist()), result.stdout + result.stderr)


def in_tree(patterns: tuple[str, ...], under: str = ".") -> set[str]:
    """Return the repository paths of the files matching ``patterns`` below ``under``."""
    folder = ROOT / under
    return {path.relative_to(ROOT).as_posix() for pattern in patterns for path in folder.glob(pattern)}


def test_the_wheel_holds_every_module_and_data_file(built: Built) -> None:
    data = in_tree(DATA_FILES, "bot")
    assert len(data) > 20  # both dialects' migrations, two languages, the domains
    assert in_tree(("bot/**/*.py", "cogs/**/*.py")) - built.names == set()
    assert data - built.names == set()
    assert "bot/py.typed" in built.names


def test_building_the_wheel_warns_of_nothing_deprecated(built: Built) -> None:
    # setuptools' SetuptoolsDeprecationWarning, e.g. for `project.license` as a TOML table.
    assert "Deprecat" not in built.output
