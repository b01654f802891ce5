"""Members removed before the first roster snapshot, from the activity log (issue 18 item 5)."""

from __future__ import annotations

import pandas as pd
import pytest

from calendly_pipeline.transforms.utilization import seat_history, seat_utilization
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, RawWorld, ago

CONFIG = UtilizationConfig()
GONE = "https://api.calendly.com/users/GONE"


def world(**details: object) -> tuple[RawWorld, str]:
    """An owner, and a member who hosted until 50 days ago and whom the owner removed 45 days
    ago (2026-05-16), before the only roster snapshot (today's); returns the removal entry."""
    w = RawWorld(plan="enterprise")
    owner = w.member("owner", role="owner")
    w.event([owner], w.event_type(owner), 100)
    w.event([GONE], w.event_type(GONE), 50, created_days_ago=60)
    w.log(GONE, 55)  # a login: the log shows the member's name
    entry = w.log(owner, 45, "User", "Remove", details or {"user": GONE, "email": "Gone@acme.test"})
    return w, entry


def history(w: RawWorld, config: UtilizationConfig = CONFIG) -> dict[str, int]:
    h = seat_history(w.frames(), config, AS_OF)
    return dict(zip(h["month"].dt.strftime("%Y-%m"), h["removed"], strict=True))


def test_a_logged_removal_before_the_first_snapshot_fills_seat_history() -> None:
    w, entry = world()
    seats = seat_utilization(w.frames(), CONFIG, AS_OF).set_index("seat_id")
    gone = seats.loc[entry]
    assert (gone["status"], gone["removal_source"], gone["user_uri"]) == (
        "removed", "activity_log", GONE,
    )  # fmt: skip
    assert gone["removed_at"] == ago(45)
    assert (gone["email"], gone["name"]) == ("gone@acme.test", "Gone")
    assert gone["monthly_cost"] == 0 and pd.isna(gone["recommendation"])
    assert gone["last_active_at"] == ago(50)  # the meeting it held: its history is kept
    assert history(w) == {"2026-03": 0, "2026-04": 0, "2026-05": 1, "2026-06": 1}
    owner = seats[seats["email"] == "owner@acme.test"].iloc[0]
    assert pd.isna(owner["removal_source"]) and pd.isna(owner["removed_at"])


def test_without_the_log_nothing_is_added() -> None:
    """A plan without the activity log (its 403 stores no entry) keeps today's history."""
    w, _ = world()
    w.rows["activity_log_entries"].clear()
    assert history(w) == {"2026-03": 0, "2026-04": 0, "2026-05": 0, "2026-06": 0}
    assert "removed" not in set(seat_utilization(w.frames(), CONFIG, AS_OF)["status"])


def test_entry_names_and_member_keys_are_settings() -> None:
    w, _ = world(member={"uri": GONE})
    assert history(w)["2026-06"] == 0  # `member.uri` is not a default key
    keyed = UtilizationConfig(removal_member_keys=("member.uri",))
    assert history(w, keyed)["2026-06"] == 1
    off = UtilizationConfig(removal_entry_names=(), removal_member_keys=("member.uri",))
    assert history(w, off)["2026-06"] == 0
    other = UtilizationConfig(removal_entry_names=("Member.Deleted",))
    assert history(world()[0], other)["2026-06"] == 0


def test_an_email_alone_identifies_the_member() -> None:
    w, entry = world(email="gone@acme.test")
    row = seat_utilization(w.frames(), CONFIG, AS_OF).set_index("seat_id").loc[entry]
    assert (row["status"], row["email"]) == ("removed", "gone@acme.test")
    assert pd.isna(row["user_uri"])


def test_a_removal_the_snapshots_show_is_counted_once() -> None:
    w = RawWorld(plan="enterprise")
    owner = w.member("owner", role="owner")
    eve = w.removed_member("eve", last_seen_days_ago=50)
    w.log(owner, 45, "User", "Remove", {"user": eve})
    removed = seat_utilization(w.frames(), CONFIG, AS_OF).query("status == 'removed'")
    assert removed["removal_source"].tolist() == ["roster_snapshot"]


def test_a_member_back_since_is_removed_only_in_between() -> None:
    """Removed 45 days ago, invited back 10 days ago: removed at the end of May, a member now."""
    w, _ = world(email="back@acme.test")
    w.member("back", joined_days_ago=10)
    assert history(w) == {"2026-03": 0, "2026-04": 0, "2026-05": 1, "2026-06": 0}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("removal_entry_names", ("User Remove",), "removal_entry_names must be"),
        ("removal_entry_names", "User.Remove", "removal_entry_names must be"),
        ("removal_member_keys", ("",), "removal_member_keys must be"),
    ],
)
def test_bad_removal_settings_are_one_clear_error(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UtilizationConfig(**{field: value})
