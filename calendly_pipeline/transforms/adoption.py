"""Feature adoption per member and per month (architecture §4), from the catalogue's dated uses."""

from __future__ import annotations

import pandas as pd

from calendly_pipeline.schema.analytics_tables import FEATURE_ADOPTION, ORG_FEATURE_ADOPTION
from calendly_pipeline.schema.spec import TableSpec, frame_dtypes
from calendly_pipeline.transforms import completeness
from calendly_pipeline.transforms._frames import DAY, Frames, as_utc_timestamp, require
from calendly_pipeline.transforms.features import CATALOGUE, FREE_PLAN, known_plan, plan_rank
from calendly_pipeline.transforms.summary import summarize_all
from calendly_pipeline.transforms.utilization import prepare_seat_inputs, seats_by_month
from calendly_pipeline.transforms.utilization_config import UtilizationConfig


def _unmarked_dtypes(spec: TableSpec) -> dict[str, str]:
    """The spec's columns and dtypes in order, but the invitee-completeness marker: the model
    adds it last (`completeness.mark_invitee_completeness`), these transforms never see it."""
    return {c: t for c, t in frame_dtypes(spec).items() if c != completeness.COLUMN}


_FEATURE_ADOPTION_DTYPES = _unmarked_dtypes(FEATURE_ADOPTION)
_ORG_FEATURE_ADOPTION_DTYPES = _unmarked_dtypes(ORG_FEATURE_ADOPTION)
FEATURE_ADOPTION_COLUMNS = list(_FEATURE_ADOPTION_DTYPES)
ORG_FEATURE_ADOPTION_COLUMNS = list(_ORG_FEATURE_ADOPTION_DTYPES)

_CATALOGUE_FRAME = pd.DataFrame(
    {
        "feature": [f.key for f in CATALOGUE],
        "feature_label": [f.label for f in CATALOGUE],
        "tier": [f.tier for f in CATALOGUE],
        "level": [f.level for f in CATALOGUE],
    }
).astype("str")


def member_feature_adoption(
    uses: pd.DataFrame, users: list[str], config: UtilizationConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`feature_adoption` rows from an `EventSummary`'s uses (reduced with the same `config` and
    `as_of`), one per user in `users` (plus anyone with a use) and member-level feature."""
    member_features = _CATALOGUE_FRAME[_CATALOGUE_FRAME["level"].eq("member")]
    uses = uses[uses["feature"].isin(member_features["feature"])]
    window_start = as_of - config.adoption_days * DAY
    stats = uses.groupby(["user_uri", "feature"]).agg(
        first_used_at=("first_used_at", "min"),
        last_used_at=("last_used_at", "max"),
        uses_total=("uses", "sum"),
        uses_90d=("uses_recent", "sum"),
    )
    stats.index = stats.index.set_levels(
        [lvl.astype("object") for lvl in stats.index.levels], verify_integrity=False
    )
    everyone = sorted(set(users) | set(stats.index.get_level_values("user_uri")))
    grid = pd.MultiIndex.from_product(
        [everyone, member_features["feature"].tolist()], names=["user_uri", "feature"]
    )
    out = stats.reindex(grid).reset_index().merge(member_features, on="feature", how="left")
    out = out.fillna({"uses_total": 0, "uses_90d": 0})
    adopted = (out["last_used_at"] >= window_start).fillna(False)
    return out.assign(adopted=adopted).astype(_FEATURE_ADOPTION_DTYPES)[FEATURE_ADOPTION_COLUMNS]


def seat_users(frames: Frames) -> list[str]:
    """Everyone who holds or held a seat: current members and members of any snapshot."""
    members = require(frames, "organization_memberships", ["user_uri"])["user_uri"]
    removed = require(frames, "membership_snapshots", ["user_uri"])["user_uri"]
    return sorted(set(members.dropna()) | set(removed.dropna()))


def feature_adoption(
    frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`analytics.feature_adoption`: every member-level feature for every member who held a seat
    (current or removed) or used a feature, so 'never used' is an explicit row."""
    as_of = as_utc_timestamp(as_of)
    uses = summarize_all(frames, config, as_of).uses
    return member_feature_adoption(uses, seat_users(frames), config, as_of)


def monthly_feature_adoption(
    uses: pd.DataFrame, monthly_seats: pd.DataFrame, plan: str | None
) -> pd.DataFrame:
    """`org_feature_adoption` rows from an `EventSummary`'s uses and `seats_by_month` output.

    Under a plan this code does not know, free features are in the plan and never paid-unused,
    while `in_plan` and `paid_unused` of paid features are NULL: no verdict on an unknown tier.
    """
    active = monthly_seats.loc[
        monthly_seats["status"].eq("active"), ["month", "user_uri"]
    ].drop_duplicates()
    months = monthly_seats["month"].drop_duplicates().sort_values()
    uses = uses[uses["month"].isin(months)]
    grid = pd.MultiIndex.from_product(
        [_CATALOGUE_FRAME["feature"].tolist(), months.tolist()], names=["feature", "month"]
    )
    per_user = (
        uses.groupby(["feature", "month", "user_uri"])["uses"].sum().rename("n").reset_index()
    )
    counts = pd.DataFrame(
        {
            "uses": per_user.groupby(["feature", "month"])["n"].sum(),
            "adopters": per_user.merge(active, on=["month", "user_uri"])
            .groupby(["feature", "month"])
            .size(),
        }
    ).reindex(grid, fill_value=0)
    out = counts.fillna(0).reset_index().merge(_CATALOGUE_FRAME, on="feature", how="left")
    out["active_seats"] = out["month"].map(active.groupby("month").size()).fillna(0)
    share = out["adopters"] / out["active_seats"].where(out["active_seats"] > 0)
    paid = out["tier"].ne(FREE_PLAN)
    if known_plan(plan):
        in_plan = out["tier"].map(plan_rank).le(plan_rank(plan)).astype("boolean")
    else:
        in_plan = pd.Series(pd.NA, index=out.index, dtype="boolean").mask(~paid, True)
    return out.assign(
        adoption_share=share.astype("float64"),
        in_plan=in_plan,
        paid_unused=in_plan & paid & out["uses"].eq(0),
    ).astype(_ORG_FEATURE_ADOPTION_DTYPES)[ORG_FEATURE_ADOPTION_COLUMNS]


def org_feature_adoption(
    frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`analytics.org_feature_adoption`: per feature and month end, the active seats that used it,
    and whether a paid feature the plan includes went unused all month."""
    as_of = as_utc_timestamp(as_of)
    summary = summarize_all(frames, config, as_of)
    inputs = prepare_seat_inputs(frames, summary, config, as_of)
    monthly = seats_by_month(inputs, config, as_of)
    return monthly_feature_adoption(summary.uses, monthly, inputs.plan)
