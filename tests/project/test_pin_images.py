"""scripts/pin-images, run in a copy of the repo with a stand-in for `docker` that answers offline."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tests import REPO

FILES = ("Dockerfile", "compose.yaml", "compose.scaling.yaml")

# Answers `docker buildx version` and `docker buildx imagetools inspect REF` the way buildx prints it
# (Name, MediaType, Digest, then the per-platform manifests), with a digest made from "$REF$ROUND".
FAKE_DOCKER = """#!/bin/sh
echo "$*" >> "$FOLDER/docker-calls"
[ "$1 $2" = "buildx version" ] && { echo "github.com/docker/buildx v0.29.0"; exit 0; }
[ "$1 $2 $3" = "buildx imagetools inspect" ] || exit 1
digest=$(printf '%s%s' "$4" "$ROUND" | sha256sum | cut -c1-64)
echo "Name:      $4"
echo "MediaType: application/vnd.oci.image.index.v1+json"
echo "Digest:    sha256:$digest"
echo
echo "Manifests:"
echo "  Name:      $4@sha256:$(printf '%s' "$digest" | rev)"
echo "  Platform:  linux/amd64"
"""


def digest(reference: str, round_: str = "1") -> str:
    return "sha256:" + hashlib.sha256(f"{reference}{round_}".encode()).hexdigest()


def copy_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in FILES:
        shutil.copy(REPO / name, repo / name)
    shutil.copy(REPO / "scripts" / "pin-images", repo / "scripts" / "pin-images")
    return repo


def pin_images(
    repo: Path, *args: str, round_: str = "1", docker: bool = True
) -> subprocess.CompletedProcess[str]:
    fake = repo.parent / "docker"
    fake.write_text(FAKE_DOCKER)
    fake.chmod(0o755)
    env = {
        **os.environ,
        "FOLDER": str(repo.parent),
        "ROUND": round_,
        "MOTIONBOT_TEST_FAKE_DOCKER": str(fake if docker else repo.parent / "no-docker"),
    }
    return subprocess.run(
        ["bash", "scripts/pin-images", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )


def test_every_registry_image_is_pinned_to_its_tag_s_digest_and_the_bot_image_is_left_alone(tmp_path):
    repo = copy_repo(tmp_path)
    result = pin_images(repo)
    assert result.returncode == 0, result.stderr
    python = "python:3.11.16-slim-trixie"
    postgres = "postgres:15.19-trixie"
    proxy = "ghcr.io/germanoeich/nirn-proxy:v1.3.3"
    dockerfile = (repo / "Dockerfile").read_text()
    assert f"ARG PYTHON_IMAGE={python}@{digest(python)}\n" in dockerfile
    scaling = (repo / "compose.scaling.yaml").read_text()
    assert f"    image: {postgres}@{digest(postgres)}\n" in scaling
    assert f"    image: {proxy}@{digest(proxy)}\n" in scaling
    assert scaling.count("image: motionbot:latest") == 1
    assert (repo / "compose.yaml").read_text() == (REPO / "compose.yaml").read_text()
    assert sorted(result.stderr.splitlines()) == sorted(
        f"pin-images: pinned {name}@{digest(name)}" for name in (python, postgres, proxy)
    )
    # Only the pins changed: every other line is as it was.
    for name in FILES:
        before = (REPO / name).read_text().splitlines()
        after = (repo / name).read_text().splitlines()
        assert len(before) == len(after)
        assert sum(old != new for old, new in zip(before, after, strict=True)) <= 2


def test_check_changes_nothing_and_fails_only_when_a_pin_is_stale(tmp_path):
    repo = copy_repo(tmp_path)
    assert pin_images(repo).returncode == 0
    assert pin_images(repo, "--check").returncode == 0
    moved = pin_images(repo, "--check", round_="2")  # the tags now point at newer builds
    assert moved.returncode == 1
    assert f"postgres:15.19-trixie@{digest('postgres:15.19-trixie', '2')}" in moved.stderr
    assert pin_images(repo, "--check").returncode == 0  # --check rewrote nothing


def test_without_docker_nothing_changes_and_it_says_why(tmp_path):
    repo = copy_repo(tmp_path)
    result = pin_images(repo, docker=False)
    assert result.returncode == 1
    assert "needs Docker with buildx" in result.stderr
    for name in FILES:
        assert (repo / name).read_text() == (REPO / name).read_text()
