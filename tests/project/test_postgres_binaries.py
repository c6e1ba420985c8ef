"""scripts/postgres-binaries: finds a server of any supported major, says what it installs and why.

apt-get is replaced by a stand-in script (MOTIONBOT_TEST_FAKE_APT_GET) that plays a distribution whose
default ``postgresql`` package brings one major (Debian 12: 15, Ubuntu 22.04: 14, Ubuntu 24.04: 16),
so no test installs anything.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import REPO
from tests import postgres_server as pg

SCRIPT = REPO / "scripts" / "postgres-binaries"
SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")
APT_LINE = "apt-get install -y --no-install-recommends postgresql"
USER_LINE = "sudo apt-get install --no-install-recommends postgresql"

# Stands in for apt-get on a distribution whose packages are $PACKAGES ("postgresql" is the default
# server, major $MAJOR): logs its arguments; `install` fails until `update` ran (no package lists),
# then "installs" the server; it also records what the script had said by then, and whether a
# service would have been allowed to start.
FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "$FOLDER/calls"
case "$1" in
  update) touch "$FOLDER/lists" ;;
  install)
    package=$(for word in "$@"; do :; done; echo "$word")
    case " $PACKAGES " in *" $package "*) ;; *) echo "E: Unable to locate package $package"; exit 100 ;; esac
    [ -e "$FOLDER/lists" ] || { echo "E: Unable to locate package $package"; exit 100; }
    cp "$FOLDER/stderr" "$FOLDER/said-before-install"
    "$FOLDER/policy-rc.d"; echo "policy $?" >> "$FOLDER/calls"
    bin="$FOLDER/lib/$MAJOR/bin"
    mkdir -p "$bin"
    for tool in initdb pg_ctl; do printf '#!/bin/sh\\n' > "$bin/$tool"; done
    printf '#!/bin/sh\\necho "postgres (PostgreSQL) %s.2 (Fake)"\\n' "$MAJOR" > "$bin/postgres"
    chmod +x "$bin/"* ;;
esac
"""


@dataclass(frozen=True)
class Distribution:
    """What the stand-in apt-get offers: the default server's major and the package names it knows."""

    major: int
    packages: str


DEBIAN_12 = Distribution(15, "postgresql postgresql-15")
UBUNTU_22_04 = Distribution(14, "postgresql postgresql-14")
UBUNTU_24_04 = Distribution(16, "postgresql postgresql-16")


def server_binaries(folder: Path, major: int) -> Path:
    folder.mkdir(parents=True)
    for tool in ("initdb", "pg_ctl"):
        (folder / tool).write_text("#!/bin/sh\n")
    (folder / "postgres").write_text(
        f'#!/bin/sh\necho "postgres (PostgreSQL) {major}.3 (Fake {major}.3-1)"\n'
    )
    for tool in SERVER_TOOLS:
        (folder / tool).chmod(0o755)
    return folder


def script_env(tmp_path: Path, *, euid: int = 0, apt: bool = True, **extra: str) -> dict[str, str]:
    apt_get = tmp_path / "apt-get"
    apt_get.write_text(FAKE_APT_GET)
    apt_get.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key not in (pg.URL_VARIABLE, "CI")}
    return env | {
        "FOLDER": str(tmp_path),
        "MAJOR": str(DEBIAN_12.major),
        "PACKAGES": DEBIAN_12.packages,
        "MOTIONBOT_TEST_POSTGRES_SEARCH": f"{tmp_path}/lib/*/bin {tmp_path}/opt/postgresql@*/bin",
        "MOTIONBOT_TEST_PG_CONFIG": "false",
        "MOTIONBOT_TEST_FAKE_APT_GET": str(apt_get if apt else tmp_path / "no-apt-get"),
        "MOTIONBOT_TEST_EUID": str(euid),
        "MOTIONBOT_TEST_SYSTEM": "Linux",
        "MOTIONBOT_TEST_POLICY_RC_D": str(tmp_path / "policy-rc.d"),
        **extra,
    }


def run_script(
    tmp_path: Path, *args: str, distribution: Distribution = DEBIAN_12, **options: object
) -> subprocess.CompletedProcess[str]:
    """Run the script; its stderr goes through a file so the stand-in apt-get can read what was said."""
    env = script_env(tmp_path, **options)
    env |= {"MAJOR": str(distribution.major), "PACKAGES": distribution.packages}
    stderr = tmp_path / "stderr"
    with stderr.open("w") as sink:
        result = subprocess.run(
            ["bash", str(SCRIPT), *args], env=env, stdout=subprocess.PIPE, stderr=sink, text=True, timeout=60
        )
    result.stderr = stderr.read_text()
    return result


def apt_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_check_on_this_machine_names_the_server_binaries():
    result = subprocess.run(["bash", str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pg.unavailable(result.stdout.strip())
    bindir = Path(result.stdout.strip())
    assert all((bindir / tool).is_file() for tool in SERVER_TOOLS)


def test_check_picks_the_newest_major_wherever_it_lives_and_installs_nothing(tmp_path):
    server_binaries(tmp_path / "lib" / "14" / "bin", 14)
    newest = server_binaries(tmp_path / "opt" / "postgresql@16" / "bin", 16)  # a Homebrew keg
    result = run_script(tmp_path, "--check")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{newest}\n", "")
    assert apt_calls(tmp_path) == []


def test_the_version_the_server_reports_decides_not_the_folder_name(tmp_path):
    server_binaries(tmp_path / "lib" / "16" / "bin", 12)  # a folder named 16 holding an old server
    result = run_script(tmp_path, "--check", euid=1000)
    assert result.returncode == 1
    assert "only PostgreSQL 12 was found" in result.stdout and "need 14 or newer" in result.stdout


def test_a_server_too_old_for_the_suite_is_not_used(tmp_path):
    old = server_binaries(tmp_path / "lib" / "12" / "bin", 12)
    result = run_script(tmp_path, "--check")
    assert result.returncode == 1
    assert result.stdout == (
        f"missing: only PostgreSQL 12 was found ({old}); the PostgreSQL tests need 14 or newer; "
        f"would run {APT_LINE}\n"
    )


def test_check_says_what_it_would_do_when_missing(tmp_path):
    as_root = run_script(tmp_path, "--check")
    assert as_root.returncode == 1
    assert as_root.stdout.startswith("missing: the PostgreSQL tests need the server programs initdb")
    assert as_root.stdout.endswith(f"would run {APT_LINE}\n")
    as_user = run_script(tmp_path, "--check", euid=1000)
    assert as_user.returncode == 1 and f"install it with: {USER_LINE} (" in as_user.stdout
    assert apt_calls(tmp_path) == []


def test_present_binaries_make_no_noise(tmp_path):
    server_binaries(tmp_path / "lib" / "15" / "bin", 15)
    result = run_script(tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert apt_calls(tmp_path) == []


@pytest.mark.parametrize(
    "distribution", [DEBIAN_12, UBUNTU_22_04, UBUNTU_24_04], ids=["debian12", "ubuntu22", "ubuntu24"]
)
def test_root_installs_the_distribution_default_server_saying_why_before(tmp_path, distribution):
    result = run_script(tmp_path, distribution=distribution)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    said = result.stderr.splitlines()
    assert said[0] == (
        "postgres-binaries: the PostgreSQL tests need the server programs initdb, pg_ctl and postgres "
        "(PostgreSQL 14 or newer), and none were found."
    )
    announced = "postgres-binaries: installing the distribution's PostgreSQL server for them, as root: "
    assert said[1].startswith(f"{announced}{APT_LINE} (no database service is started")
    bindir = tmp_path / "lib" / str(distribution.major) / "bin"
    assert said[2:] == [
        f"postgres-binaries: installed postgresql: PostgreSQL {distribution.major} in {bindir}"
    ]
    assert (tmp_path / "said-before-install").read_text().splitlines() == said[:2]
    install = "install -y -q --no-install-recommends postgresql"
    assert apt_calls(tmp_path) == [install, "update -q", install, "policy 101"]
    assert not (tmp_path / "policy-rc.d").exists()  # the temporary hook is gone again
    assert run_script(tmp_path, "--check", distribution=distribution).stdout == f"{bindir}\n"
    again = run_script(tmp_path, distribution=distribution)
    assert (again.returncode, again.stderr) == (0, "")


def test_a_failed_install_shows_apt_and_fails_on_ci(tmp_path):
    broken = Distribution(15, "postgresql-15")  # no `postgresql` package at all
    local = run_script(tmp_path, distribution=broken)
    assert local.returncode == 0
    assert "E: Unable to locate package postgresql" in local.stderr
    assert local.stderr.endswith("postgres-binaries: the PostgreSQL tests will skip.\n")
    on_ci = run_script(tmp_path, distribution=broken, CI="true")
    assert on_ci.returncode == 1
    assert on_ci.stderr.endswith(
        "CI is set, so the suite stops here rather than skip the PostgreSQL tests.\n"
    )


def test_a_user_who_cannot_install_is_told_the_exact_command_and_the_tests_skip(tmp_path):
    result = run_script(tmp_path, euid=1000)
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert f"install it with: {USER_LINE} (or set MOTIONBOT_TEST_POSTGRES_URL" in lines[0]
    assert lines[1] == "postgres-binaries: the PostgreSQL tests will skip."
    assert apt_calls(tmp_path) == []


def test_on_ci_a_server_that_cannot_be_installed_fails_the_command(tmp_path):
    result = run_script(tmp_path, euid=1000, CI="true")
    assert result.returncode == 1
    assert USER_LINE in result.stderr
    assert "CI is set, so the suite stops here" in result.stderr
    assert apt_calls(tmp_path) == []


def test_without_apt_get_even_root_installs_nothing_and_macos_is_told_the_homebrew_command(tmp_path):
    linux = run_script(tmp_path, apt=False)
    assert linux.returncode == 0
    assert "your system's package manager" in linux.stderr and "apt-get" not in linux.stderr
    macos = run_script(tmp_path, "--check", apt=False, euid=501, MOTIONBOT_TEST_SYSTEM="Darwin")
    assert macos.returncode == 1 and "install it with: brew install postgresql@17 (" in macos.stdout
    assert apt_calls(tmp_path) == []


def test_an_external_server_needs_nothing_installed(tmp_path):
    result = run_script(tmp_path, **{pg.URL_VARIABLE: "postgresql://postgres@db.invalid/postgres"})
    assert (result.returncode, result.stderr) == (0, "")
    assert apt_calls(tmp_path) == []


def test_the_readme_gives_the_commands_and_the_announcement_the_script_prints(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What the tests need", 1)[1].split("\n### ", 1)[0]
    user = run_script(tmp_path, euid=1000).stderr
    macos = run_script(tmp_path, "--check", apt=False, euid=501, MOTIONBOT_TEST_SYSTEM="Darwin").stdout
    announced = run_script(tmp_path).stderr.splitlines()[1]
    for command in re.findall(r"`((?:sudo apt-get|brew) install [^`]+)`", section):
        assert command in user + macos, command
    assert "brew install" in section and "sudo apt-get install" in section
    quoted = re.search(r"\(`(postgres-binaries: installing [^`]+?) …`\)", section)
    assert quoted is not None and announced.startswith(" ".join(quoted[1].split()))
