"""The petition domain: aggregates, events, rules, clocks. Stdlib + eventsourcing only."""
