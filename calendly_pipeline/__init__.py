"""Calendly API v2 -> DuckDB utilization pipeline."""

__version__ = "0.1.0"
