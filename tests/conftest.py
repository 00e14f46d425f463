# Service fixtures (postgres_url, fresh_postgres_url, kafka_bootstrap, kafka_topic, kafka_control)
# and the CASEFLOW_REQUIRE_SERVICES=1 "no skipped tests" rule live in tests/services.py.
# tests.backends: backend_settings (sqlite + postgres), clock, container.
pytest_plugins = ["tests.services", "tests.backends"]


def pytest_configure(config) -> None:  # noqa: ANN001 - pytest hook
    # Personal fields are sealed under a master key (docs/privacy.md); a PostgreSQL store refuses
    # to start without one. Every test process, and the servers and CLIs they start, share one
    # random key for the session unless the environment names one.
    import base64
    import os

    if not os.environ.get("CASEFLOW_MASTER_KEY") and not os.environ.get("CASEFLOW_MASTER_KEY_FILE"):
        os.environ["CASEFLOW_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
