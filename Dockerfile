# Caseflow API / worker image. `docker compose up` runs it as `caseflow serve --no-projections`
# (the API) and `caseflow worker` (projections and the Kafka relay).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in a layer of their own: a change to the code alone does not reinstall them.
# Exactly the versions of requirements.lock, hashes checked (README: "Dependencies").
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY pyproject.toml README.md ./
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
