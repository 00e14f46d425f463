"""Application services: commands, queries, idempotency, authorization policy."""
