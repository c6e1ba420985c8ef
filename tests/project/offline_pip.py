"""A stand-in for ``.venv/bin/python -m pip install`` that downloads nothing (tests only).

scripts/bootstrap runs ``$MOTIONBOT_TEST_FAKE_PIP_INSTALL <pip arguments>`` in place of pip when that
variable is set. Set it to ``<python> tests/project/offline_pip.py <site-packages>``, where
``<site-packages>`` already holds the locked versions (the test run's own virtualenv, installed from the
same lock files):

* ``--require-hashes -r LOCK`` links, into ``.venv``'s site-packages, exactly the distributions LOCK
  pins (each one's files and ``.dist-info``), and writes the console scripts they declare into
  ``.venv/bin``. A pin the source lacks, or holds in another version, fails as pip would.
* ``--no-deps -e .`` makes the project importable from its folder (what an editable install does) and
  writes its console scripts (``motionbot``).

So a ``.venv`` made by ``scripts/run`` has the runtime set only, and one made by ``scripts/test`` the
development set too, as with the real pip.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
SCRIPT = "#!{python}\nimport sys\nfrom {module} import {attribute}\nsys.exit({call}())\n"


def main(argv: list[str]) -> int:
    """Install what ``argv`` (the source folder, then pip's arguments) asks for; return an exit code."""
    source, arguments = Path(argv[0]), argv[1:]
    venv = Path(".venv").resolve()
    target = _site_packages(venv)
    if "-r" in arguments:
        return _install_lock(Path(arguments[arguments.index("-r") + 1]), source, target, venv)
    if arguments[-2:] == ["-e", "."]:
        _install_project(Path.cwd(), target, venv)
        return 0
    print(f"offline_pip: cannot do {' '.join(arguments)}", file=sys.stderr)
    return 2


def _site_packages(venv: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    result = subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True, check=True)
    return Path(result.stdout.strip())


def pins(lock: Path) -> dict[str, str]:
    """Return the lock file's ``name -> version`` pins, names normalised as in PEP 503."""
    found = (_PIN.match(line) for line in lock.read_text(encoding="utf-8").splitlines())
    return {_normal(match.group(1)): match.group(2) for match in found if match}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _install_lock(lock: Path, source: Path, target: Path, venv: Path) -> int:
    available = {_normal(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[str(source)])}
    for name, version in sorted(pins(lock).items()):
        distribution = available.get(name)
        if distribution is None or distribution.version != version:
            have = distribution.version if distribution else "nothing"
            print(f"offline_pip: {lock} pins {name}=={version}; {source} has {have}", file=sys.stderr)
            return 1
        _link_distribution(distribution, source, target, venv)
    return 0


def _link_distribution(
    distribution: importlib.metadata.Distribution, source: Path, target: Path, venv: Path
) -> None:
    scripts = {entry.name for entry in distribution.entry_points if entry.group == "console_scripts"}
    for file in distribution.files or ():
        parts = Path(file).parts
        if parts[0] == "..":  # a file pip put in bin/: a console script is rewritten below
            if parts[-1] not in scripts:
                _link(source.joinpath(file).resolve(), venv / "bin" / parts[-1])
        elif parts[0] != "__pycache__":
            _link(source / parts[0], target / parts[0])
    for entry in distribution.entry_points:
        if entry.group == "console_scripts":
            _write_script(venv, entry.name, entry.value)


def _link(source: Path, link: Path) -> None:
    if not link.is_symlink() and not link.exists():
        link.symlink_to(source)


def _write_script(venv: Path, name: str, value: str) -> None:
    module, _, call = value.partition(":")
    attribute = call.split(".")[0]
    path = venv / "bin" / name
    path.write_text(
        SCRIPT.format(python=venv / "bin" / "python", module=module, attribute=attribute, call=call),
        encoding="utf-8",
    )
    path.chmod(0o755)


def _install_project(project: Path, target: Path, venv: Path) -> None:
    (target / "__editable__.motionbot.pth").write_text(f"{project}\n", encoding="utf-8")
    declared = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for name, value in declared.get("scripts", {}).items():
        _write_script(venv, name, value)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
