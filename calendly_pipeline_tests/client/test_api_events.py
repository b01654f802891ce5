"""The event endpoints without Dagster: a window read a month at a time, events by URI with a
404 left out, invitees for a batch of events with the fan-out inside."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from calendly_pipeline.client.api import CalendlyAPI
from calendly_pipeline_tests.client.support import make_client


def _api(sb: Any) -> CalendlyAPI:
    client = make_client(sb)
    return CalendlyAPI(client, client.caller().organization_uri)


def test_a_window_is_read_a_calendar_month_at_a_time(sandbox: Any) -> None:
    api = _api(sandbox)
    start = datetime(2000, 1, 15, tzinfo=UTC)
    end = datetime.now(UTC) + timedelta(days=400)
    months = list(api.scheduled_events(start, end))
    api.client.close()
    assert months[0].start == start and months[-1].end == end
    assert all(m.end == n.start for m, n in itertools.pairwise(months))
    assert all(m.start.day == 1 for m in months[1:])
    uris = [e["uri"] for m in months for e in m.events]
    assert len(uris) == len(set(uris)) == sandbox.world.counts()["scheduled_events"]
    for month in months:
        starts = {e["start_time"][:7] for e in month.events}
        assert starts <= {f"{month.start:%Y-%m}"}


def test_events_by_uri_leave_out_a_404(own_sandbox: Any) -> None:
    api = _api(own_sandbox)
    org = api.organization
    listed = list(api.client.paginate("/scheduled_events", {"organization": org}, count=3))[:3]
    uris = [e["uri"] for e in listed]
    own_sandbox.world.delete_event_data(uris[1])
    before = api.client.request_count
    found = api.events_by_uri(uris)
    assert [e["uri"] for e in found] == [uris[0], uris[2]]
    assert api.client.request_count - before == 3
    api.client.close()


def test_invitees_come_in_batches_with_one_request_per_event(sandbox: Any) -> None:
    api = _api(sandbox)
    events = list(api.client.paginate("/scheduled_events", {"organization": api.organization}))
    uris = [e["uri"] for e in events[:7]]
    before = api.client.request_count
    batches = list(api.invitees(uris, batch_size=3))
    requests = api.client.request_count - before
    api.client.close()
    assert [b.event_uris for b in batches] == [uris[:3], uris[3:6], uris[6:]]
    assert requests == 7  # no event of the tiny organization has more than a page of invitees
    for batch in batches:
        assert {i["event"] for i in batch.invitees} <= set(batch.event_uris)
    expected = sum(e["invitees_counter"]["total"] for e in events[:7])
    assert sum(len(b.invitees) for b in batches) == expected
