"""Issue 18: plan advice for the whole organization (one plan is billed per organization), from
the catalogue's tiers and the price table, never per seat."""

from __future__ import annotations

import pandas as pd

from calendly_pipeline.transforms.plans import organization_plan_options, plan_verdict
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld

CONFIG = UtilizationConfig()


def options(w: RawWorld, config: UtilizationConfig = CONFIG) -> pd.DataFrame:
    return organization_plan_options(w.frames(), config, AS_OF).set_index("plan")


def held(w: RawWorld, host: str, days_ago: float = 3, **type_fields: object) -> None:
    w.event([host], w.event_type(host, **type_fields), days_ago, created_days_ago=days_ago)


def test_org_that_uses_a_top_tier_feature_in_one_team_only_stays() -> None:
    """Sales (two people) books round robins, a Teams feature; everyone else group events."""
    w = RawWorld(plan="teams")
    ann, ben, cat, dan = (w.member(n) for n in ("ann", "ben", "cat", "dan"))
    w.group("Sales", ann, ben)
    for user in (ann, ben):
        held(w, user, pooling_type="round_robin")
    for user in (cat, dan):
        held(w, user, kind="group")
    o = options(w)
    assert list(o.index) == ["teams", "standard", "basic"]  # legacy plans are not on sale
    assert o.loc["standard", "features_lost"] == ["round_robin"]
    assert o.loc["standard", "people_per_feature_lost"] == [2]
    assert o.loc["basic", "features_lost"] == ["group_event", "round_robin"]
    assert o.loc["basic", "people_per_feature_lost"] == [2, 2]
    assert o.loc["basic", "people_losing"] == 4
    assert o["recommended"].to_dict() == {"teams": True, "standard": False, "basic": False}
    assert o.loc["standard", "yearly_saving"] == 4 * (16 - 10) * 12
    assert plan_verdict(o.reset_index(), "USD") == (
        "Stay on teams: moving to standard would lose round_robin (2 people), used in the "
        "adoption window."
    )


def test_cheapest_plan_keeping_every_feature_is_recommended() -> None:
    w = RawWorld(plan="teams")
    ann, ben = w.member("ann"), w.member("ben")
    held(w, ann, kind="group")
    held(w, ben)
    held(w, ben, days_ago=100, pooling_type="round_robin")  # outside the 90-day window
    w.member("idle_ivy")  # not active: not priced
    o = options(w)
    assert o["keeps_all_features"].to_dict() == {"teams": True, "standard": True, "basic": False}
    assert o["recommended"].to_dict() == {"teams": False, "standard": True, "basic": False}
    assert (o.loc["standard", "active_seats"], o.loc["standard", "yearly_saving"]) == (2, 144.0)
    assert plan_verdict(o.reset_index(), "USD") == (
        "Move to standard: it keeps every feature used in the adoption window and saves 144 USD "
        "a year on 2 active seats."
    )


def test_contract_price_legacy_plan_and_unknown_plan() -> None:
    w = RawWorld(plan="professional")
    held(w, w.member("ann"))
    o = options(w, UtilizationConfig(seat_price_month=13.0))
    assert list(o.index) == ["professional", "standard", "basic"]
    assert o["price_per_seat_month"].tolist() == [13.0, 10.0, 0.0]  # contract, then list prices
    assert o.loc["basic", "recommended"] and o.loc["basic", "yearly_saving"] == 13.0 * 12

    unknown = RawWorld(plan="enterprise_plus")
    held(unknown, unknown.member("ann"))
    assert options(unknown).empty
    assert plan_verdict(options(unknown), "USD").startswith("No plan advice")


def test_free_plan_has_nowhere_to_go() -> None:
    w = RawWorld(plan="basic")
    held(w, w.member("ann"))
    o = options(w)
    assert list(o.index) == ["basic"] and o.loc["basic", "recommended"]
    assert plan_verdict(o.reset_index(), "USD") == (
        "Stay on basic: there is no cheaper plan to move to."
    )
