"""How far back invitee-revealed feature use is known while a progressive first sync still reads
the invitee history (newest first, a budget per run; docs/scaling.md).

Uses of a feature that only an invitee reveals (payments, UTM tracking, no-shows, ...) are
known only for the events whose invitees were read. Until the backlog is empty, every
`feature_adoption` and `org_feature_adoption` row of such a feature carries the start of the
newest event still waiting: uses before it may be missing, so the row is not a complete figure.
"""

from __future__ import annotations

import pandas as pd

from calendly_pipeline.transforms.features import FEATURES

COLUMN = "invitees_complete_after"
INVITEE_FEATURES = frozenset(key for key, f in FEATURES.items() if f.source == "invitee")
MARKED = ("feature_adoption", "org_feature_adoption")


def mark_invitee_completeness(
    tables: dict[str, pd.DataFrame], newest_pending: object | None
) -> dict[str, pd.DataFrame]:
    """`tables` with COLUMN on the tables in MARKED: `newest_pending` (the start of the newest
    event whose invitees are not read yet) on rows of invitee-revealed features, else NULL
    (NULL everywhere once the invitee history is complete)."""
    marked = dict(tables)
    when = pd.NaT if newest_pending is None else pd.Timestamp(newest_pending).tz_convert("UTC")
    for name in MARKED:
        frame = tables[name]
        column = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
        column[frame["feature"].isin(INVITEE_FEATURES)] = when
        marked[name] = frame.assign(**{COLUMN: column})
    return marked


def complete_back_to(newest_pending: pd.Timestamp | None) -> str | None:
    """The first whole UTC day whose invitee-revealed uses are complete, as the page says it;
    None when nothing is pending."""
    if newest_pending is None or pd.isna(newest_pending):
        return None
    return f"{(pd.Timestamp(newest_pending).tz_convert('UTC') + pd.Timedelta(days=1)):%Y-%m-%d}"
