"""scripts/bootstrap run for real in a temporary copy of the repo, with pip installs stubbed out."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from tests import REPO

# pip and setuptools come hashed from their own lock, and build the project with no index at all.
BUILD_TOOLS = "--require-hashes -r requirements-build.lock"
PROJECT = "--no-index --no-deps --no-build-isolation -e ."
FAKE_PY310 = """#!/bin/sh
# Reports Python 3.10 and leaves a venv that cannot work, as Ubuntu 22.04's default python3 did.
case "$*" in
  *"-m venv"*) mkdir -p .venv/bin; exit 1 ;;
esac
echo 3.10
"""


def _copy_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in ("pyproject.toml", "requirements.lock", "requirements-dev.lock", "requirements-build.lock"):
        shutil.copy(REPO / name, repo / name)
    shutil.copy(REPO / "scripts" / "bootstrap", repo / "scripts" / "bootstrap")
    return repo


def _fake_python(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(FAKE_PY310, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _bootstrap(repo: Path, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    fake_pip = repo.parent / "fake-pip"
    fake_pip.write_text(f'#!/bin/sh\necho "$*" >>"{repo / "pip.log"}"\n', encoding="utf-8")
    fake_pip.chmod(0o755)
    env = {
        **os.environ,
        "PYTHON": python,
        "PATH": f"{repo / 'fakebin'}{os.pathsep}{os.environ['PATH']}",
        "MOTIONBOT_TEST_FAKE_PIP_INSTALL": str(fake_pip),
        "MOTIONBOT_TEST_VENV_OPTIONS": "--without-pip --system-site-packages",
    }
    return subprocess.run(
        ["bash", "scripts/bootstrap", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )


def _installs(repo: Path) -> list[str]:
    log = repo / "pip.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_old_python_is_refused_up_front_with_the_apt_line(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    _fake_python(repo / "fakebin", "python3.10")
    result = _bootstrap(repo, python="python3.10")
    assert result.returncode == 2
    assert "python3.10 is Python 3.10" in result.stderr
    assert "sudo apt install python3.11 python3.11-venv" in result.stderr
    assert not (repo / ".venv").exists()
    assert _installs(repo) == []


def test_a_missing_python_is_named_with_the_apt_line(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    result = _bootstrap(repo, python="python3.99-missing")
    assert result.returncode == 2
    assert "python3.99-missing was not found or does not run." in result.stderr
    assert "sudo apt install python3.11 python3.11-venv" in result.stderr


def test_venv_of_old_python_is_rebuilt_and_test_then_run_installs_once(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    _fake_python(repo / ".venv" / "bin", "python")  # what a failed 3.10 attempt left behind
    _fake_python(repo / "fakebin", "python3.10")
    assert _bootstrap(repo, "--dev", python="python3.10").returncode == 2
    assert (repo / ".venv" / "bin" / "python").read_text(encoding="utf-8") == FAKE_PY310  # left as found
    result = _bootstrap(repo, "--dev")
    assert result.returncode == 0, result.stderr
    assert "rebuilding .venv: it was made by Python 3.10." in result.stderr
    assert _installs(repo) == [BUILD_TOOLS, "--require-hashes -r requirements-dev.lock", PROJECT]
    again = _bootstrap(repo)  # scripts/run after scripts/test
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert _bootstrap(repo, "--dev").stderr == ""
    assert len(_installs(repo)) == 3


def test_venv_without_pip_is_rebuilt(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    (repo / ".venv" / ".created").touch()  # finished, yet without pip
    result = _bootstrap(repo)
    assert result.returncode == 0, result.stderr
    assert "rebuilding .venv: it has no pip" in result.stderr
    assert _installs(repo) == [BUILD_TOOLS, "--require-hashes -r requirements.lock", PROJECT]
    assert (repo / ".venv" / ".created").exists()


def test_unfinished_venv_is_rebuilt(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    assert _bootstrap(repo).returncode == 0
    (repo / ".venv" / ".created").unlink()
    (repo / ".venv" / ".installed-prod").unlink()
    result = _bootstrap(repo)
    assert "rebuilding .venv: its creation did not finish (interrupted?)." in result.stderr
    assert (repo / ".venv" / ".created").exists()


def test_an_interrupted_venv_creation_is_named_so_and_rebuilt(tmp_path: Path) -> None:
    # What Ctrl-C during `python -m venv` (while ensurepip runs) leaves: a Python, no pip, no stamp.
    repo = _copy_repo(tmp_path)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    result = _bootstrap(repo)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "bootstrap: rebuilding .venv: its creation did not finish (interrupted?)."
    )
    assert "pip" not in result.stderr.splitlines()[0]
    assert _installs(repo) == [BUILD_TOOLS, "--require-hashes -r requirements.lock", PROJECT]
    assert (repo / ".venv" / ".created").exists()


def test_a_venv_of_the_old_bootstrap_is_kept_and_only_reinstalled(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    assert _bootstrap(repo).returncode == 0
    (repo / ".venv" / ".created").unlink()
    (repo / ".venv" / ".installed-prod").rename(repo / ".venv" / ".installed-0123456789abcdef")
    result = _bootstrap(repo)
    assert "rebuilding" not in result.stderr
    assert "installing the prod set" in result.stderr


def test_a_venv_without_python_is_rebuilt(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    (repo / ".venv").mkdir()
    result = _bootstrap(repo)
    assert result.returncode == 0, result.stderr
    assert "rebuilding .venv: it has no working Python." in result.stderr


def test_a_new_build_tools_lock_is_installed_again(tmp_path: Path) -> None:
    repo = _copy_repo(tmp_path)
    assert _bootstrap(repo).returncode == 0
    assert _bootstrap(repo).stderr == ""
    with (repo / "requirements-build.lock").open("a", encoding="utf-8") as lock:
        lock.write("# pip moved forward\n")
    result = _bootstrap(repo)
    assert "installing the prod set" in result.stderr
    assert _installs(repo)[3:] == [BUILD_TOOLS, "--require-hashes -r requirements.lock", PROJECT]


def test_dev_lock_contains_every_runtime_pin() -> None:
    def pins(name: str) -> set[str]:
        lines = (REPO / name).read_text(encoding="utf-8").splitlines()
        return {line.split()[0] for line in lines if line[:1].isalnum()}

    runtime = pins("requirements.lock")
    assert {"imageio-ffmpeg==0.8.1", "babel==2.18.0"} <= runtime
    assert runtime <= pins("requirements-dev.lock")
