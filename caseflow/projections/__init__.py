"""Event → view logic and the runner that keeps views (and the relay) following the log."""
