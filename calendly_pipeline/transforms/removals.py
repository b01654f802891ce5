"""Members removed before the first roster snapshot, from the activity log (issue 18 item 5).

Roster snapshots (one per sync day) show every removal from the first sync on; a member removed
earlier is only in the activity log (Enterprise plans). The API documents neither the log's
`namespace`/`action` values nor its free-form `details`, so which entries record a removal and
which keys name the member are settings (`UtilizationConfig.removal_entry_names`,
`removal_member_keys`; docs/tables.md, "Removals before the first roster snapshot").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from calendly_pipeline.transforms._frames import Frames, dates, require, utc
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

# seat_id is the entry's URI (the membership URI is gone with the membership)
REMOVAL_COLUMNS = ["seat_id", "user_uri", "name", "email", "role", "joined_at", "removed_at"]


def _value(details: Any, key: str) -> Any:
    """`details[key]`, following dots into nested objects; None where a step is missing."""
    for part in key.split("."):
        if not isinstance(details, dict):
            return None
        details = details.get(part)
    return details


def _member(details: Any, keys: Iterable[str]) -> tuple[str | None, str | None]:
    """(user URI, e-mail) of the removed member: the first value of `keys` that is an http(s)
    URI, and the first that is an e-mail address. `details` arrives as stored (JSON text)."""
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            return None, None
    values = [v.strip() for v in (_value(details, k) for k in keys) if isinstance(v, str)]
    uri = next((v for v in values if v.startswith(("https://", "http://"))), None)
    email = next((v.lower() for v in values if "@" in v and " " not in v), None)
    return uri, email


def logged_removals(frames: Frames, config: UtilizationConfig) -> pd.DataFrame:
    """REMOVAL_COLUMNS: the latest removal entry of each member that no roster snapshot taken by
    the removal's day holds (removed before the first snapshot, or between two syncs before
    any snapshot saw them); the snapshots tell the other removals. Entries naming no member
    are skipped; a log without such entries, or none (a plan without the log), gives no row."""
    columns = ["uri", "occurred_at", "fully_qualified_name", "actor_uri", "actor_display_name"]
    log = require(frames, "activity_log_entries", [*columns, "details"])
    named = log["fully_qualified_name"].isin(config.removal_entry_names).fillna(False)
    entries = log[named.to_numpy(bool)].reset_index(drop=True)
    members = [_member(d, config.removal_member_keys) for d in entries["details"]]
    found = pd.DataFrame(
        {
            "seat_id": entries["uri"],
            "user_uri": pd.Series([u for u, _ in members], dtype="str"),
            "email": pd.Series([e for _, e in members], dtype="str"),
            "removed_at": utc(entries["occurred_at"]),
        }
    )
    found = found[found["user_uri"].notna() | found["email"].notna()]
    # a snapshot taken by the removal's day that holds the member tells that removal already
    snaps = require(frames, "membership_snapshots", ["snapshot_date", "user_uri", "user_email"])
    day = dates(snaps["snapshot_date"])
    first_held = (
        pd.concat([snaps["user_uri"], snaps["user_email"].str.lower()], ignore_index=True)
        .to_frame("who")
        .assign(day=pd.concat([day, day], ignore_index=True))
        .dropna()
        .groupby("who")["day"]
        .min()
    )
    removal_day = found["removed_at"].dt.tz_localize(None).dt.normalize()

    def told_by(key: str) -> np.ndarray:  # NaT (no snapshot holds the member) compares False
        first = first_held.reindex(found[key].to_numpy(object)).to_numpy("datetime64[us]")
        return first <= removal_day.to_numpy("datetime64[us]")

    found = found[~(told_by("user_uri") | told_by("email"))]
    found = found.sort_values("removed_at")
    found = found.assign(_who=found["user_uri"].fillna(found["email"]))
    found = found.drop_duplicates("_who", keep="last").drop(columns="_who")
    # their name as the log last showed it, where they acted in it
    acted = log[log["actor_uri"].notna() & log["actor_display_name"].notna()]
    names = acted.sort_values("occurred_at").drop_duplicates("actor_uri", keep="last")
    name = found["user_uri"].map(names.set_index("actor_uri")["actor_display_name"])
    return found.assign(
        name=name.astype("str"),
        role=pd.Series(pd.NA, index=found.index, dtype="str"),
        joined_at=pd.Series(pd.NaT, index=found.index, dtype="datetime64[us, UTC]"),
    )[REMOVAL_COLUMNS].reset_index(drop=True)
