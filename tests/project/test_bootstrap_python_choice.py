"""`PYTHON=python3.12 scripts/run` uses that interpreter even when a `.venv` of another one exists.

scripts/bootstrap runs for real in a temporary copy of the repo, with pip installs stubbed out (as in
tests/project/test_bootstrap.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.project.test_bootstrap import BUILD_TOOLS, PROJECT, _bootstrap, _copy_repo, _installs

# Claims to be Python 3.12 (another interpreter than the one running the tests) and makes its venvs
# with the real one, so the rebuilt venv works; it answers bootstrap's two questions as 3.12 would.
FAKE_PY312 = """#!/bin/sh
case "$*" in
  *"-m venv"*) exec {real} "$@" ;;
  *realpath*) echo "Python 3.12.1 (/opt/python3.12/bin/python3.12)" ;;
  *) echo 3.12 ;;
esac
"""
PROD_SET = "--require-hashes -r requirements.lock"
IDENTITY = "import os, sys; print(sys.version.split()[0], os.path.realpath(sys._base_executable))"


def _identity(python: str) -> str:
    result = subprocess.run([python, "-c", IDENTITY], capture_output=True, text=True, timeout=30)
    return result.stdout.strip() if result.returncode == 0 else ""


def _another_python() -> str | None:
    """Return a real Python 3.11+ on this machine other than the one running the tests, if any."""
    ours = _identity(sys.executable)
    names = [f"python3.{minor}" for minor in range(11, 16)] + ["/usr/bin/python3", "/usr/local/bin/python3"]
    for name in names:
        path = shutil.which(name)
        identity = _identity(path) if path else ""
        if identity and identity != ours and identity.split()[0] >= "3.11":
            return path
    return None


def _made_with(repo: Path) -> str:
    return _identity(str(repo / ".venv" / "bin" / "python"))


def test_python_naming_another_interpreter_rebuilds_the_venv_and_says_so(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    assert _bootstrap(repo).returncode == 0
    fake = tmp_path / "fakebin" / "python3.12"
    fake.parent.mkdir()
    fake.write_text(FAKE_PY312.format(real=sys.executable), encoding="utf-8")
    fake.chmod(0o755)

    result = _bootstrap(repo, python=str(fake))

    assert result.returncode == 0, result.stderr
    made = _made_with(repo).split()
    assert (
        f"rebuilding .venv: it was made by Python {made[0]} ({made[1]}), and PYTHON={fake} is "
        in result.stderr
    )
    assert "is Python 3.12.1 (/opt/python3.12/bin/python3.12)." in result.stderr
    assert _installs(repo).count(PROD_SET) == 2  # installed again


def test_a_real_second_interpreter_replaces_the_venv(tmp_path: Path) -> None:
    other = _another_python()
    if other is None:
        pytest.skip("no second Python 3.11+ on this machine")
    repo = _copy_repo(tmp_path)
    assert _bootstrap(repo).returncode == 0
    assert _made_with(repo) == _identity(sys.executable)

    result = _bootstrap(repo, python=other)

    assert result.returncode == 0, result.stderr
    assert f"and PYTHON={other} is Python" in result.stderr
    assert _made_with(repo) == _identity(other)
    assert _bootstrap(repo, python=other).stderr == ""  # made with it now: nothing to do


def test_the_same_interpreter_under_another_name_keeps_the_venv(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    assert _bootstrap(repo).returncode == 0
    alias = tmp_path / "fakebin" / "python3"
    alias.parent.mkdir()
    alias.symlink_to(os.path.realpath(sys._base_executable))  # what python3 -> python3.11 looks like

    result = _bootstrap(repo, python=str(alias))

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert _installs(repo) == [BUILD_TOOLS, PROD_SET, PROJECT]  # the first run's installs only


def test_without_python_the_existing_venv_is_kept(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    assert _bootstrap(repo).returncode == 0
    env = {key: value for key, value in os.environ.items() if key != "PYTHON"}
    fake_pip = repo.parent / "fake-pip"
    env["MOTIONBOT_TEST_FAKE_PIP_INSTALL"] = str(fake_pip)
    # python3 on PATH is a Python that cannot even start: unset PYTHON must not consult it.
    broken = tmp_path / "fakebin" / "python3"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    env["PATH"] = f"{broken.parent}{os.pathsep}{env['PATH']}"

    result = subprocess.run(
        ["bash", "scripts/bootstrap"], cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
