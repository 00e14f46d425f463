# Service fixtures (postgres_url, fresh_postgres_url, kafka_bootstrap, kafka_topic, kafka_control)
# and the CASEFLOW_REQUIRE_SERVICES=1 "no skipped tests" rule live in tests/services.py.
# tests.backends: backend_settings (sqlite + postgres), clock, container.
pytest_plugins = ["tests.services", "tests.backends"]
