"""scripts/postgres-binaries: finds the PostgreSQL server binaries, installs the Debian package only as root.

apt-get is replaced by a stand-in script (MOTIONBOT_TEST_FAKE_APT_GET) so no test installs anything.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests import postgres_server as pg

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "postgres-binaries"
SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")

# Stands in for apt-get: logs its arguments; `install` fails until `update` ran (no package lists),
# then "installs" the binaries; it also records whether a service would have been allowed to start.
FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "$FOLDER/calls"
case "$1" in
  update) touch "$FOLDER/lists" ;;
  install)
    [ -e "$FOLDER/lists" ] || { echo "E: Unable to locate package postgresql-15"; exit 100; }
    "$FOLDER/policy-rc.d"; echo "policy $?" >> "$FOLDER/calls"
    mkdir -p "$FOLDER/lib/15/bin"
    for tool in initdb pg_ctl postgres; do printf '#!/bin/sh\\n' > "$FOLDER/lib/15/bin/$tool"; done
    chmod +x "$FOLDER/lib/15/bin/"* ;;
esac
"""


def server_binaries(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for tool in SERVER_TOOLS:
        (folder / tool).write_text("#!/bin/sh\n")
        (folder / tool).chmod(0o755)
    return folder


def run_script(tmp_path: Path, *args: str, euid: int = 0) -> subprocess.CompletedProcess[str]:
    apt_get = tmp_path / "apt-get"
    apt_get.write_text(FAKE_APT_GET)
    apt_get.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != pg.URL_VARIABLE}
    env |= {
        "FOLDER": str(tmp_path),
        "MOTIONBOT_TEST_POSTGRES_SEARCH": str(tmp_path / "lib"),
        "MOTIONBOT_TEST_PG_CONFIG": "false",
        "MOTIONBOT_TEST_FAKE_APT_GET": str(apt_get),
        "MOTIONBOT_TEST_EUID": str(euid),
        "MOTIONBOT_TEST_POLICY_RC_D": str(tmp_path / "policy-rc.d"),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def apt_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_check_on_this_machine_names_the_server_binaries():
    result = subprocess.run(["bash", str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pg.unavailable(result.stdout.strip())
    bindir = Path(result.stdout.strip())
    assert all((bindir / tool).is_file() for tool in SERVER_TOOLS)


def test_check_picks_the_newest_version_and_installs_nothing(tmp_path):
    server_binaries(tmp_path / "lib" / "9.6" / "bin")
    newest = server_binaries(tmp_path / "lib" / "15" / "bin")
    result = run_script(tmp_path, "--check")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{newest}\n", "")
    assert apt_calls(tmp_path) == []


def test_check_says_what_it_would_do_when_missing(tmp_path):
    as_root = run_script(tmp_path, "--check")
    assert as_root.returncode == 1
    assert as_root.stdout == "missing: would run apt-get install -y --no-install-recommends postgresql-15\n"
    as_user = run_script(tmp_path, "--check", euid=1000)
    assert as_user.returncode == 1 and "sudo apt-get install postgresql-15" in as_user.stdout
    assert apt_calls(tmp_path) == []


def test_present_binaries_make_no_noise(tmp_path):
    server_binaries(tmp_path / "lib" / "15" / "bin")
    result = run_script(tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert apt_calls(tmp_path) == []


def test_root_installs_the_package_fetching_the_lists_only_when_needed_with_no_service_started(tmp_path):
    result = run_script(tmp_path)
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr == "postgres-binaries: installed postgresql-15 for the test suite's own server\n"
    install = "install -y -q --no-install-recommends postgresql-15"
    assert apt_calls(tmp_path) == [install, "update -q", install, "policy 101"]
    assert not (tmp_path / "policy-rc.d").exists()  # the temporary hook is gone again
    again = run_script(tmp_path)
    assert (again.returncode, again.stderr) == (0, "")


def test_a_user_who_cannot_install_gets_one_line_and_the_tests_go_on(tmp_path):
    result = run_script(tmp_path, euid=1000)
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "sudo apt-get install postgresql-15" in lines[0] and "skip" in lines[0]
    assert apt_calls(tmp_path) == []
