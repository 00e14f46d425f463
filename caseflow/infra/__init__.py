"""Adapters: event store, SQL view stores, Kafka, HTTP, CLI, settings. Wires everything."""
