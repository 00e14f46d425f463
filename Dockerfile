# Caseflow API / worker image. `docker compose up` runs it as `caseflow serve --no-projections`
# (the API) and `caseflow worker` (projections and the Kafka relay).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in a layer of their own: a change to the code alone does not reinstall them.
# (An empty package stands in for the code while they install, and is removed after.)
COPY pyproject.toml README.md ./
RUN mkdir caseflow && touch caseflow/__init__.py \
    && pip install . \
    && pip uninstall --yes caseflow \
    && rm -rf caseflow build caseflow.egg-info

COPY caseflow ./caseflow
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin caseflow \
    && mkdir -p /app/var /app/secrets \
    && chown caseflow /app/var /app/secrets

USER caseflow

# The API listens on all interfaces inside the container; publish the port to choose who reaches it.
ENV CASEFLOW_HOST=0.0.0.0 \
    CASEFLOW_PORT=8000
EXPOSE 8000

CMD ["caseflow", "serve"]
