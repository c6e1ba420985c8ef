"""The Dockerfile, the compose files and the ignore files, checked as Docker and git would read them.

No Docker engine runs here, so what `docker compose config` and a build would refuse or let through is
checked statically (tests/project/deploy_files.py reads the files by Docker's own rules): secrets stay out of
git and of the build context, a missing database password stops Compose, every image is pinned, every
pip install is hashed or offline, and every container runs with what it needs and nothing more.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from tests import REPO
from tests.project.deploy_files import (
    InterpolationError,
    docker_ignored,
    dockerignore_rules,
    load_compose,
    variables,
)

COMPOSE = REPO / "compose.yaml"
SCALING = REPO / "compose.scaling.yaml"
DOCKERFILE = REPO / "Dockerfile"
PASSWORD = "0123456789abcdef"
ENV = {"POSTGRES_PASSWORD": PASSWORD}
BOT_IMAGE = "motionbot:latest"
DIGEST = r"@sha256:[0-9a-f]{64}"
# The service keys of the Compose specification ("Services top-level elements") these files may use;
# Compose refuses an unknown key, so a misspelt one (read-only, cap-drop) must fail here too.
SERVICE_KEYS = {
    "build", "image", "pull_policy", "restart", "env_file", "environment", "depends_on", "ports",
    "volumes", "tmpfs", "healthcheck", "stop_grace_period", "init", "read_only", "cap_add", "cap_drop",
    "security_opt", "user", "command", "entrypoint", "networks", "labels", "logging",
}  # fmt: skip
# What the official postgres image's entrypoint needs as root: hand the data folder to the postgres
# user (chown, look into it, chmod) and switch to that user (gosu).
POSTGRES_CAPABILITIES = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"}


def compose(path: Path, env: dict[str, str] = ENV) -> dict[str, Any]:
    return load_compose(path, env)


def services(path: Path) -> dict[str, dict[str, Any]]:
    return compose(path)["services"]


def bot_services() -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{path.name}:{name}", service)
        for path in (COMPOSE, SCALING)
        for name, service in services(path).items()
        if service.get("image") == BOT_IMAGE
    ]
    assert len(found) == 3  # motionbot, shard-0, shard-1
    return found


def named_volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """``source: target`` of every volume mount of a service."""
    pairs = (mount.split(":", 2)[:2] for mount in service.get("volumes", []))
    return dict(pairs)


def dockerfile_lines() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


# --- secrets -------------------------------------------------------------------------------------

SECRET_FILES = (".env", ".env.postgres", ".env.local", "prod.env", "deploy/.env.postgres")


@pytest.mark.parametrize("name", SECRET_FILES)
def test_secret_files_are_ignored_by_git(name):
    assert subprocess.run(["git", "check-ignore", "-q", name], cwd=REPO, check=False).returncode == 0


def test_the_example_settings_file_stays_in_git():
    assert (
        subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=REPO, check=False).returncode == 1
    )


def test_no_env_file_enters_the_image_build_context_but_everything_the_dockerfile_copies_does():
    rules = dockerignore_rules(REPO / ".dockerignore")
    for name in (*SECRET_FILES, ".env.example", "bot/.env", "cogs/prod.env"):
        assert docker_ignored(rules, name), f"{name} would be sent to the Docker build"
    copied = [
        source
        for line in dockerfile_lines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert "requirements-build.lock" in copied
    for source in copied:
        assert (REPO / source).exists(), source
        assert not docker_ignored(rules, source), f"the Dockerfile copies {source}, which .dockerignore drops"
    assert not docker_ignored(rules, "bot/store/migrations/postgres/0001_initial.sql")


def test_every_compose_variable_is_required_or_has_a_default():
    for path in (COMPOSE, SCALING):
        for match in variables(path):
            assert match["op"] in (":?", ":-"), f"{path.name}: {match[0]} may silently be empty"


@pytest.mark.parametrize("env", [{}, {"POSTGRES_PASSWORD": ""}], ids=["missing", "empty"])
def test_compose_refuses_to_start_the_shards_without_the_postgres_password(env):
    with pytest.raises(InterpolationError) as refused:
        compose(SCALING, env)
    assert refused.value.name == "POSTGRES_PASSWORD"
    assert "--env-file .env.postgres" in refused.value.message


def test_every_shard_gets_the_password_and_its_own_shard():
    shards = {name: service for name, service in services(SCALING).items() if name.startswith("shard-")}
    assert sorted(shards) == ["shard-0", "shard-1"]
    for index, (name, service) in enumerate(sorted(shards.items())):
        environment = service["environment"]
        assert environment["DATABASE_URL"] == f"postgresql://motionbot:{PASSWORD}@postgres:5432/motionbot", (
            name
        )
        assert (environment["SHARD_IDS"], environment["SHARD_COUNT"]) == (str(index), "2")


# --- pins ----------------------------------------------------------------------------------------


def test_the_base_image_is_a_patch_release_pinned_by_digest_and_the_only_one():
    args = [line for line in dockerfile_lines() if line.startswith("ARG PYTHON_IMAGE=")]
    assert len(args) == 1
    image = args[0].removeprefix("ARG PYTHON_IMAGE=")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+" + DIGEST, image), image
    froms = [line for line in dockerfile_lines() if line.startswith("FROM ")]
    assert froms == ["FROM ${PYTHON_IMAGE} AS builder", "FROM ${PYTHON_IMAGE}"]
    # The locks are compiled for this Python: markers and wheels must fit the image's interpreter.
    for lock in ("requirements.lock", "requirements-build.lock"):
        assert "autogenerated by pip-compile with Python 3.11\n" in (REPO / lock).read_text(encoding="utf-8")


def test_every_service_image_is_an_exact_release_and_the_database_is_pinned_by_digest():
    for path in (COMPOSE, SCALING):
        for name, service in services(path).items():
            image = service["image"]
            if image == BOT_IMAGE:
                continue
            assert re.search(r":v?\d+\.\d+\.?\d*(-[a-z]+)?(@|$)", image), f"{name} floats: {image}"
    assert re.fullmatch(r"postgres:15\.\d+-[a-z]+" + DIGEST, services(SCALING)["postgres"]["image"])


def _pinned(lock: Path) -> dict[str, str]:
    """``name: version`` of every pin in a lock file, checking each carries at least one hash."""
    text = lock.read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", text, flags=re.MULTILINE))
    entries = re.findall(r"^[a-z0-9][^\n]*(?:\n    [^\n]*)*", text, flags=re.MULTILINE)
    assert entries and all("--hash=sha256:" in entry for entry in entries), lock.name
    return pins


def test_the_build_tools_lock_hashes_pip_and_the_backend_pyproject_asks_for():
    pins = _pinned(REPO / "requirements-build.lock")
    assert set(pins) == {"pip", "setuptools"}
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    requires = re.search(r"^requires = \[(.*)\]", pyproject, flags=re.MULTILINE)
    assert requires is not None
    for text in re.findall(r'"([^"]+)"', requires[1]):
        requirement = Requirement(text)
        assert requirement.name in pins, f"{requirement.name} is not in requirements-build.lock"
        assert requirement.specifier.contains(pins[requirement.name]), text


def _pip_installs(text: str) -> list[str]:
    """The lines that run pip install (continuations joined, comments left out)."""
    lines = [line.strip() for line in text.replace("\\\n", " ").splitlines()]
    return [
        line for line in lines if re.search(r"pip install|PIP_INSTALL ", line) and not line.startswith("#")
    ]


def test_every_pip_install_is_hashed_or_offline():
    dockerfile = _pip_installs(DOCKERFILE.read_text(encoding="utf-8"))
    bootstrap = [
        line
        for line in _pip_installs((REPO / "scripts" / "bootstrap").read_text(encoding="utf-8"))
        if re.match(r"\s*([A-Z_]+=\S+\s+)*\$PIP_INSTALL", line)  # maybe after an environment assignment
    ]
    assert len(dockerfile) == 3 and len(bootstrap) == 3
    for line in dockerfile + bootstrap:
        hashed = re.search(r"--require-hashes -r \S+", line)
        offline = all(option in line for option in ("--no-index", "--no-deps", "--no-build-isolation"))
        assert hashed or offline, f"fetches something unhashed: {line.strip()}"
    for install in (dockerfile, bootstrap):  # the build tools come first, from their own lock
        assert re.search(r"requirements-build.lock|\$BUILD_LOCK", install[0]), install[0]


# --- the containers ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [COMPOSE, SCALING], ids=["compose", "scaling"])
def test_compose_would_accept_the_file(path):
    loaded = compose(path)
    assert {key for key in loaded if not key.startswith("x-")} <= {"services", "volumes"}
    declared = set(loaded.get("volumes") or {})
    ports: list[str] = []
    for name, service in loaded["services"].items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unknown keys {set(service) - SERVICE_KEYS}"
        assert "image" in service or "build" in service, name
        assert set(service.get("depends_on", {})) <= set(loaded["services"]), name
        for volume in named_volume_mounts(service):
            assert volume.startswith(("/", ".")) or volume in declared, f"{name}: volume {volume} undeclared"
        ports += [port.rsplit(":", 1)[0] for port in service.get("ports", [])]
        for env_file in [service["env_file"]] if "env_file" in service else []:
            assert env_file in (".env", ".env.postgres"), env_file  # the files the comments create
        if "build" in service:
            assert (REPO / service["build"] / "Dockerfile").is_file()
    assert len(ports) == len(set(ports)), "two services publish the same host port"


def test_the_bot_image_is_built_by_one_service_and_run_by_the_others():
    scaling = services(SCALING)
    builders = [name for name, service in scaling.items() if "build" in service]
    assert builders == ["shard-0"]
    for name, service in scaling.items():
        if name.startswith("shard-") and name not in builders:
            assert (service["image"], service.get("pull_policy")) == (BOT_IMAGE, "never"), name


def test_every_bot_has_a_volume_for_its_data_and_memory_for_its_temporary_files():
    for name, service in bot_services():
        mounts = named_volume_mounts(service)
        assert "/data" in mounts.values(), f"{name} has no /data volume"
        assert "/tmp" in service["tmpfs"], f"{name} cannot write its clip downloads and fitting"
    shards = [service for name, service in bot_services() if "shard-" in name]
    clip_volumes = {named_volume_mounts(service)["motionbot-clips"] for service in shards}
    assert clip_volumes == {"/data"}  # one archive every shard reads and writes
    assert "DATABASE_PATH=/data/" in DOCKERFILE.read_text(encoding="utf-8")  # the SQLite file, on it


def _hardened(name: str, service: dict[str, Any]) -> None:
    assert service.get("read_only") is True, f"{name}: root file system writable"
    assert service.get("cap_drop") == ["ALL"], f"{name}: keeps Linux capabilities"
    assert "no-new-privileges:true" in service.get("security_opt", []), f"{name}: may gain privileges"


def test_every_bot_runs_read_only_without_capabilities_under_an_init():
    for name, service in bot_services():
        _hardened(name, service)
        assert service.get("init") is True, f"{name}: no init to forward signals and reap ffmpeg"
        assert "cap_add" not in service, name


def test_postgres_and_the_proxy_run_read_only_with_only_what_they_need():
    scaling = services(SCALING)
    postgres, proxy = scaling["postgres"], scaling["discord-proxy"]
    _hardened("postgres", postgres)
    assert set(postgres["cap_add"]) <= POSTGRES_CAPABILITIES
    assert "/var/run/postgresql" in postgres["tmpfs"]  # its socket and lock file
    assert named_volume_mounts(postgres) == {"motionbot-postgres": "/var/lib/postgresql/data"}
    _hardened("discord-proxy", proxy)
    assert proxy.get("init") is True and "cap_add" not in proxy
