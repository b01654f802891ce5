"""Values the spec does not list are kept, counted apart and never folded (architecture §4).

The end-to-end cases (over HTTP, through Dagster) are in reliability/test_wild_data.py; these pin
the rules on hand-built raw frames.
"""

from __future__ import annotations

import math

from calendly_pipeline.transforms.activity import daily_activity, event_outcomes
from calendly_pipeline.transforms.adoption import org_feature_adoption
from calendly_pipeline.transforms.utilization import seat_utilization
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld
from calendly_pipeline_tests.transforms.test_utilization import CONFIG, meeting


def test_an_unknown_event_status_is_its_own_outcome() -> None:
    w = RawWorld()
    host = w.member("host", joined_days_ago=100)
    kept = meeting(w, host, 3)
    odd = meeting(w, host, 2, status="tentative")
    future = meeting(w, host, -2, status="tentative")
    outcomes = event_outcomes(w.frames(), AS_OF).set_index("event_uri")["outcome"]
    assert outcomes[kept] == "completed"
    assert outcomes[odd] == outcomes[future] == "unknown_status"
    day = daily_activity(w.frames(), AS_OF)
    assert day[["scheduled", "completed", "unknown_status"]].sum().tolist() == [3, 1, 2]
    seat = seat_utilization(w.frames(), CONFIG, AS_OF).set_index("email").loc["host@acme.test"]
    assert seat["meetings_hosted_30d"] == 1  # an event of unknown status is not known held


def test_an_unknown_plan_gets_no_tier_verdicts_and_no_list_price() -> None:
    w = RawWorld(plan="enterprise_plus")
    host = w.member("host", joined_days_ago=100)
    meeting(w, host, 3)  # active, free features only: a `downgrade` on any known paid plan
    seat = seat_utilization(w.frames(), CONFIG, AS_OF).set_index("email").loc["host@acme.test"]
    assert seat["recommendation"] == "keep" and math.isnan(seat["monthly_cost"])
    priced = UtilizationConfig(seat_price_month=12.5)
    assert seat_utilization(w.frames(), priced, AS_OF)["monthly_cost"].tolist() == [12.5]
    ofa = org_feature_adoption(w.frames(), CONFIG, AS_OF)
    free, paid = ofa[ofa["tier"].eq("basic")], ofa[ofa["tier"].ne("basic")]
    assert free["in_plan"].all() and not free["paid_unused"].any()
    assert paid["in_plan"].isna().all() and paid.loc[paid["uses"].eq(0), "paid_unused"].isna().all()
