# Caseflow API / worker image. `docker compose up` runs it twice: `caseflow serve` and `caseflow worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY pyproject.toml README.md ./
COPY caseflow ./caseflow
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin caseflow \
    && mkdir -p /app/var \
    && chown caseflow /app/var

USER caseflow

# The API listens on all interfaces inside the container; publish the port to choose who reaches it.
ENV CASEFLOW_HOST=0.0.0.0 \
    CASEFLOW_PORT=8000
EXPOSE 8000

CMD ["caseflow", "serve"]
