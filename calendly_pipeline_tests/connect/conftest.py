"""The browser fixture is the dashboard tests' Debian Chromium (skipped when it is missing)."""

from calendly_pipeline_tests.dashboard.conftest import browser

__all__ = ["browser"]
