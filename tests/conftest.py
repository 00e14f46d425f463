# Service fixtures (postgres_url, fresh_postgres_url, kafka_bootstrap, kafka_topic, kafka_control)
# and the CASEFLOW_REQUIRE_SERVICES=1 "no skipped tests" rule live in tests/services.py.
pytest_plugins = ["tests.services"]
