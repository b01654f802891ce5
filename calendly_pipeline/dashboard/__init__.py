"""The offline dashboard page, rendered from the DuckDB file without Dagster."""

from calendly_pipeline.dashboard.data import DashboardError
from calendly_pipeline.dashboard.render import DashboardSummary, render_dashboard

__all__ = ["DashboardError", "DashboardSummary", "render_dashboard"]
