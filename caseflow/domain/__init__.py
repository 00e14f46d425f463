"""The petition domain: aggregates, events, rules and clocks. Standard library + eventsourcing only."""
