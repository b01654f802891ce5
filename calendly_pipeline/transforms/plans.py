"""Plan advice for the whole organization (issue 18): Calendly bills one plan per organization,
so a downgrade is an organization-level decision, never a per-seat one.

For the current plan and every cheaper plan one could move to, `plan_options` says which
features used in the adoption window that plan lacks, how many people used them, and what the
plan would cost and save a year on the active seats. The cheapest plan that keeps every feature
used is the recommendation; `plan_verdict` says it in one sentence.
"""

from __future__ import annotations

import pandas as pd

from calendly_pipeline.schema.analytics_tables import PLAN_OPTIONS
from calendly_pipeline.schema.spec import frame_dtypes
from calendly_pipeline.transforms._frames import Frames, as_utc_timestamp
from calendly_pipeline.transforms.features import CATALOGUE, PLANS, known_plan, plan_rank
from calendly_pipeline.transforms.summary import summarize_all
from calendly_pipeline.transforms.utilization import (
    organization_plan,
    prepare_seat_inputs,
    seats_at,
)
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

PLAN_OPTION_COLUMNS = PLAN_OPTIONS.column_names
_DTYPES = frame_dtypes(PLAN_OPTIONS)
# Plans Calendly no longer sells: an organization on one may stay, nobody can move to one.
LEGACY_PLANS = ("essentials", "professional")
_TIER = {f.key: f.tier for f in CATALOGUE}
_ORDER = {f.key: i for i, f in enumerate(CATALOGUE)}


def candidate_plans(plan: str) -> list[str]:
    """The current plan and every cheaper plan on sale, most expensive first."""
    rank = plan_rank(plan)
    return [
        p for p in reversed(PLANS) if p == plan or (plan_rank(p) < rank and p not in LEGACY_PLANS)
    ]


def _plan_price(config: UtilizationConfig, plan: str, current: str) -> float:
    """The current plan at what the organization pays (`config.price`: the contract price when
    set); any other plan at its list price (NaN when none is configured)."""
    if plan == current:
        price = config.price(plan)
        return float("nan") if price is None else price
    return config.price_per_seat_month.get(plan, float("nan"))


def plan_options(
    uses: pd.DataFrame,
    seats: pd.DataFrame,
    plan: str | None,
    config: UtilizationConfig,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """`analytics.plan_options` from an `EventSummary`'s uses (their `uses_recent`: uses in the
    adoption window) and the `seat_utilization` rows. No rows under a plan this code does not
    know: no verdict on an unknown tier."""
    if not known_plan(plan):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DTYPES.items()})[
            PLAN_OPTION_COLUMNS
        ]
    recent = uses.loc[uses["uses_recent"] > 0, ["user_uri", "feature"]].drop_duplicates()
    people = recent.groupby("feature")["user_uri"].nunique()
    used = sorted(people.index, key=_ORDER.__getitem__)
    active = int(seats["status"].eq("active").sum())
    current_cost = active * 12 * _plan_price(config, plan, plan)
    rows = []
    for option in candidate_plans(plan):
        lost = [f for f in used if plan_rank(_TIER[f]) > plan_rank(option)]
        cost = active * 12 * _plan_price(config, option, plan)
        losing = recent.loc[recent["feature"].isin(lost), "user_uri"].nunique()
        rows.append(
            {
                "plan": option,
                "current": option == plan,
                "price_per_seat_month": _plan_price(config, option, plan),
                "active_seats": active,
                "yearly_cost": cost,
                "yearly_saving": current_cost - cost,
                "features_lost": lost,
                "people_per_feature_lost": [int(people[f]) for f in lost],
                "people_losing": int(losing),
                "keeps_all_features": not lost,
            }
        )
    out = pd.DataFrame(rows)
    # The current plan, or a cheaper one that keeps every feature used and saves money; the
    # rows run most expensive first, so the last such row is the cheapest.
    eligible = out["current"] | (out["keeps_all_features"] & (out["yearly_saving"] > 0))
    best = out.loc[eligible, "plan"].iloc[-1]
    out["recommended"] = out["plan"].eq(best)
    out["as_of"] = as_of
    return out.astype(_DTYPES)[PLAN_OPTION_COLUMNS]


def organization_plan_options(
    frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`analytics.plan_options` from raw frames held at once."""
    as_of = as_utc_timestamp(as_of)
    summary = summarize_all(frames, config, as_of)
    seats = seats_at(prepare_seat_inputs(frames, summary, config, as_of), config, as_of, as_of)
    return plan_options(summary.uses, seats, organization_plan(frames), config, as_of)


def plan_verdict(options: pd.DataFrame, currency: str) -> str:
    """The plan advice in one sentence, for the dashboard and the run's metadata."""
    if options.empty:
        return "No plan advice: the organization's plan is one this code does not know."
    current = options[options["current"]].iloc[0]
    best = options[options["recommended"]].iloc[0]
    if best["plan"] == current["plan"]:
        cheaper = options[~options["current"]]
        if cheaper.empty:
            return f"Stay on {current['plan']}: there is no cheaper plan to move to."
        step = cheaper.iloc[0]
        lost = ", ".join(
            f"{f} ({n} {'person' if n == 1 else 'people'})"
            for f, n in zip(step["features_lost"], step["people_per_feature_lost"], strict=True)
        )
        return (
            f"Stay on {current['plan']}: moving to {step['plan']} would lose {lost}, used in "
            "the adoption window."
        )
    return (
        f"Move to {best['plan']}: it keeps every feature used in the adoption window and saves "
        f"{best['yearly_saving']:,.0f} {currency} a year on {best['active_seats']} active seats."
    )
