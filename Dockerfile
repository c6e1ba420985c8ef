# Motionbot container image: a builder stage installs the project into a virtualenv, and a slim
# final stage runs it as an unprivileged user with its database and clip archive on the /data volume.
# Secrets (DISCORD_TOKEN, COMETAPI_KEY) come from the environment at run time, never from the image
# (.dockerignore keeps every .env file out of the build context).
# It runs with a read-only root file system (compose.yaml): it writes only to /data and to /tmp
# (clip downloads and fitting).

# Pinned to a patch release and its digest, so every build starts from the same bytes; move it on
# purpose with scripts/pin-images (the digest is that of the multi-platform index, as published in
# docker-library/repo-info for python:3.11.16-slim-trixie).
ARG PYTHON_IMAGE=python:3.11.16-slim-trixie@sha256:be1575ed968de893bd54f4c56315ff7c4736ce522c1bca08fd521731aafc0d76

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/motionbot
WORKDIR /src
# Everything pip installs is hashed: first pip and setuptools themselves, then the dependencies, in
# their own layers (editing the code reuses them); then the project, built by those very tools with
# no index to fetch anything from.
COPY requirements-build.lock requirements.lock ./
RUN /opt/motionbot/bin/pip install --no-cache-dir --require-hashes -r requirements-build.lock
RUN /opt/motionbot/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN /opt/motionbot/bin/pip install --no-cache-dir --no-index --no-deps --no-build-isolation .

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Motionbot" \
      org.opencontainers.image.description="Self-hosted Discord bot that turns images into short videos through CometAPI"
# matplotlib (the /usage chart) keeps its font cache in MPLCONFIGDIR: on the /tmp tmpfs, not the data volume.
ENV PATH=/opt/motionbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib
RUN groupadd --system --gid 10001 motionbot \
    && useradd --system --uid 10001 --gid motionbot --home-dir /data --no-create-home --shell /usr/sbin/nologin motionbot \
    && mkdir /data \
    && chown motionbot:motionbot /data
COPY --from=builder /opt/motionbot /opt/motionbot
WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
# slim images have no curl: ask /healthz with the Python that is already there (non-2xx raises, exit 1).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=8)"]
# The container's own layout is pinned by `env` at start, after --env-file/env_file are applied, so a
# line in .env (even an empty HTTP_PORT=) cannot move the database off the volume or break the
# HEALTHCHECK. Publish a different host port with `ports:` instead.
ENTRYPOINT ["env", "DATABASE_PATH=/data/motionbot.sqlite3", "HTTP_HOST=0.0.0.0", "HTTP_PORT=8080", "python", "-m", "bot"]
CMD ["run"]
