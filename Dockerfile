# Motionbot container image: a builder stage installs the project into a virtualenv, and a slim
# final stage runs it as an unprivileged user with its database and clip archive on the /data volume.
# Secrets (DISCORD_TOKEN, COMETAPI_KEY) come from the environment at run time, never from the image.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/motionbot
WORKDIR /src
# Dependencies first, from the hashed lock file, in their own layer: editing the code reuses it.
COPY requirements.lock ./
RUN /opt/motionbot/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN /opt/motionbot/bin/pip install --no-cache-dir --no-deps .

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Motionbot" \
      org.opencontainers.image.description="Self-hosted Discord bot that turns images into short videos through CometAPI"
ENV PATH=/opt/motionbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
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
