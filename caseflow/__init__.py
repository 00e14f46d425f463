"""Caseflow: event-sourced casework for public petition work (信访)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("caseflow")  # as installed (pyproject.toml says which)
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
