"""Feature adoption per member and per month."""

from __future__ import annotations

import pandas as pd
import pytest

from calendly_pipeline.transforms.adoption import feature_adoption, org_feature_adoption
from calendly_pipeline.transforms.features import CATALOGUE
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld, ago

CONFIG = UtilizationConfig()
MEMBER_FEATURES = [f.key for f in CATALOGUE if f.level == "member"]


def test_one_row_per_member_and_feature_including_never_used() -> None:
    w = RawWorld()
    alice, bob = w.member("alice"), w.member("bob")
    eve = w.removed_member("eve")
    w.event([alice], w.event_type(alice), 5, created_days_ago=5, location_type=None)
    fa = feature_adoption(w.frames(), CONFIG, AS_OF)
    assert len(fa) == 3 * len(MEMBER_FEATURES)
    assert set(fa["user_uri"]) == {alice, bob, eve}
    assert "activity_log" not in set(fa["feature"])
    never = fa[(fa["user_uri"] == bob) & (fa["feature"] == "one_on_one")].iloc[0]
    assert never["uses_total"] == 0 and not never["adopted"] and pd.isna(never["first_used_at"])
    used = fa[(fa["user_uri"] == alice) & (fa["feature"] == "one_on_one")].iloc[0]
    assert (used["feature_label"], used["tier"], used["uses_total"]) == (
        "One-on-one event",
        "basic",
        1,
    )


@pytest.mark.parametrize(
    ("last_use_days_ago", "adopted"), [(87, True), (90, True), (90.5, False), (120, False)]
)
def test_adopted_within_the_window_exactly(last_use_days_ago: float, adopted: bool) -> None:
    w = RawWorld()
    alice = w.member("alice")
    t = w.event_type(alice)
    w.event([alice], t, 200, created_days_ago=200, location_type=None)
    w.event([alice], t, last_use_days_ago, created_days_ago=last_use_days_ago, location_type=None)
    row = feature_adoption(w.frames(), CONFIG, AS_OF).set_index(["user_uri", "feature"])
    row = row.loc[(alice, "one_on_one")]
    assert row["adopted"] == adopted
    assert (row["uses_total"], row["uses_90d"]) == (2, int(adopted))
    assert row["first_used_at"] == ago(200) and row["last_used_at"] == ago(last_use_days_ago)


def test_shorter_adoption_window() -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), 40, created_days_ago=40, location_type=None)
    fa = feature_adoption(w.frames(), UtilizationConfig(adoption_days=30), AS_OF)
    assert not fa.loc[fa["feature"].eq("one_on_one"), "adopted"].item()


def test_uses_after_as_of_are_ignored() -> None:
    w = RawWorld()
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), -5, created_days_ago=-1, location_type=None)
    fa = feature_adoption(w.frames(), CONFIG, AS_OF)
    assert fa["uses_total"].sum() == 0


def test_org_adoption_per_month_with_share_of_active_seats() -> None:
    w = RawWorld(plan="enterprise")
    alice, bob, carol = w.member("alice"), w.member("bob"), w.member("carol")
    w.member("dave")  # never active: not in the denominator
    collective = w.event_type(None, pooling_type="collective")
    w.event([alice, bob], collective, 10, created_days_ago=10, location_type=None)  # June
    w.event([carol], w.event_type(carol), 9, created_days_ago=9, location_type=None)
    w.event([alice], w.event_type(alice), 40, created_days_ago=40, location_type=None)  # May
    w.log(alice, 3)
    org = org_feature_adoption(w.frames(), CONFIG, AS_OF).set_index(["feature", "month"])
    june, may = pd.Timestamp("2026-06-30"), pd.Timestamp("2026-05-31")
    assert sorted(org.index.get_level_values("month").unique()) == [may, june]
    row = org.loc[("collective", june)]
    assert (row["adopters"], row["active_seats"], row["uses"]) == (2, 3, 2)
    assert row["adoption_share"] == pytest.approx(2 / 3)
    assert org.loc[("one_on_one", may), ["adopters", "active_seats"]].tolist() == [1, 1]
    assert org.loc[("activity_log", june), ["uses", "adopters"]].tolist() == [1, 1]
    assert org["in_plan"].all()
    assert org.loc[("round_robin", june), "paid_unused"]
    assert not org.loc[("collective", june), "paid_unused"]
    assert not org.loc[("location_zoom", june), "paid_unused"]  # free tier: never "paid unused"


def test_features_above_the_plan_are_not_in_plan_nor_paid_unused() -> None:
    w = RawWorld(plan="standard")
    alice = w.member("alice")
    w.event([alice], w.event_type(alice), 5, created_days_ago=5)
    org = org_feature_adoption(w.frames(), CONFIG, AS_OF).set_index("feature")
    assert not org.loc["round_robin", "in_plan"] and not org.loc["round_robin", "paid_unused"]
    assert org.loc["group_event", "in_plan"] and org.loc["group_event", "paid_unused"]


def test_no_active_seat_gives_a_null_share() -> None:
    w = RawWorld()
    w.webhook(w.member("alice", joined_days_ago=400), 200)
    w.event([w.member("bob")], w.event_type(None), 100, created_days_ago=100)
    org = org_feature_adoption(w.frames(), CONFIG, AS_OF)
    june = org[org["month"] == pd.Timestamp("2026-06-30")]
    assert (june["active_seats"] == 0).all() and june["adoption_share"].isna().all()
