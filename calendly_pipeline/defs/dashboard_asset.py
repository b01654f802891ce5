"""The dashboard: one self-contained HTML file for IT and finance, rebuilt after each sync."""

import dagster as dg

from calendly_pipeline.dagster_home import DUCKDB_POOL
from calendly_pipeline.dashboard.render import render_dashboard
from calendly_pipeline.defs.analytics_assets import ANALYTICS_GROUP
from calendly_pipeline.defs.metadata import OWNERS, warehouse_value
from calendly_pipeline.defs.sync_settings import SyncSettings
from calendly_pipeline.defs.warehouse import Warehouse
from calendly_pipeline.safe_text import markdown
from calendly_pipeline.settings import dashboard_path
from calendly_pipeline.transforms.model import ANALYTICS_NAMES


@dg.asset(
    key="dashboard",
    group_name=ANALYTICS_GROUP,
    kinds={"plotly", "html"},
    owners=OWNERS,
    deps=[dg.AssetKey(["analytics", name]) for name in ANALYTICS_NAMES],
    # It only reads, but while a writer holds DuckDB no other process may even read it.
    pool=DUCKDB_POOL,
    description="`dashboard.html` beside the warehouse (or `CALENDLY_DASHBOARD_PATH`): headline "
    "seat figures, the reclaim list, feature adoption, meetings per week and per-group "
    "comparison. Self-contained (plotly embedded), so it opens offline from a shared drive or "
    "an e-mail.",
)
def dashboard(
    context: dg.AssetExecutionContext, duckdb: Warehouse, sync_settings: SyncSettings
) -> dg.MaterializeResult:
    summary = render_dashboard(
        duckdb.database, dashboard_path(duckdb.database), sync_settings.seats_purchased
    )
    money = f"{summary.currency} "
    preview = "\n".join(
        [
            f"**{markdown(summary.org_name)}**"
            + (" — SYNTHETIC DATA" if summary.is_synthetic else ""),
            "",
            "| seats paid | assigned | active | idle | pending | idle cost / month | / year |",
            "|---|---|---|---|---|---|---|",
            f"| {summary.seats_paid} | {summary.seats_assigned} | {summary.seats_active} "
            f"| {summary.seats_idle} | {summary.seats_pending} "
            f"| {money}{summary.idle_cost_month:,.0f} | {money}{summary.idle_cost_year:,.0f} |",
        ]
    )
    context.log.info(f"dashboard written to {summary.path} ({summary.size_bytes:,} bytes)")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(summary.path)),
            "url": dg.MetadataValue.url(summary.path.resolve().as_uri()),
            "size_bytes": summary.size_bytes,
            "headline": dg.MetadataValue.md(preview),
            "seats_idle": summary.seats_idle,
            "idle_cost_year": summary.idle_cost_year,
            "synthetic_data": summary.is_synthetic,
            "warehouse": warehouse_value(),
        }
    )
