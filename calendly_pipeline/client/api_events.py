"""Typed endpoints for scheduled events and their invitees: the paths, query parameters, month
chunking and per-event fan-out, so that the event assets are wiring."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from calendly_pipeline.client.api_base import Endpoints
from calendly_pipeline.client.errors import NotFound

INVITEE_BATCH = 2_000  # events whose invitees are fetched (and committed) together
PAGE_SIZE = 100


def month_chunks(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Split [start, end) at calendar-month boundaries."""
    cursor = start
    while cursor < end:
        nxt = (cursor.replace(day=1) + timedelta(days=32)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        yield cursor, min(nxt, end)
        cursor = min(nxt, end)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _unique_by_uri(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Windows are half-open but the API does not promise it; the last copy of a URI wins.
    Records without a text `uri` are kept as they are, for flatten to quarantine."""
    by_uri: dict[str, dict[str, Any]] = {}
    keyless = []
    for item in items:
        uri = item.get("uri") if isinstance(item, dict) else None
        if isinstance(uri, str):
            by_uri[uri] = item
        else:
            keyless.append(item)
    return [*by_uri.values(), *keyless]


@dataclass(frozen=True)
class EventMonth:
    """The events listed for one calendar month of start times (a chunk commits on its own)."""

    start: datetime
    end: datetime
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class InviteeBatch:
    """The invitees served for a batch of events (every invitee of each of `event_uris`)."""

    event_uris: list[str]
    invitees: list[dict[str, Any]]


class EventEndpoints(Endpoints):
    """Scheduled events for a window, events by URI, invitees for a batch of events."""

    def scheduled_events(self, start: datetime, end: datetime) -> Iterator[EventMonth]:
        """The organization's events starting in [start, end), a calendar month at a time, so
        memory stays flat however long the window. Only the month being yielded is read."""
        for chunk_start, chunk_end in month_chunks(start, end):
            params = {
                "organization": self.organization,
                "min_start_time": _iso(chunk_start),
                "max_start_time": _iso(chunk_end),
                "sort": "start_time:asc",
            }
            items = self.client.paginate("/scheduled_events", params, count=PAGE_SIZE)
            yield EventMonth(chunk_start, chunk_end, _unique_by_uri(items))

    def by_uri(self, uris: Iterable[str]) -> list[dict[str, Any]]:
        """Resources read one by one on the client's bounded fan-out; those answering 404 are
        left out (any other error raises).

        Confirms a vanished event before its deletion purges personal data: a listing can skip
        a record (another event removed mid-paging shifts the offsets), so absence from a
        listing is no proof, a 404 is. Also reads event types that events point at but
        `/event_types` does not list (REFERENCE.md section 8)."""

        def ask(uri: str) -> dict[str, Any] | None:
            try:
                return self.client.get(uri)
            except NotFound:
                return None

        return [found for found in self.client.fetch_all(ask, uris) if found is not None]

    events_by_uri = by_uri
    event_types_by_uri = by_uri

    def invitees(
        self, event_uris: list[str], batch_size: int = INVITEE_BATCH
    ) -> Iterator[InviteeBatch]:
        """Every invitee of each event (one listing per event, on the client's fan-out), a batch
        of events at a time. The next batch is fetched while the caller handles this one, so the
        rate budget and the fan-out threads never idle during a write; at most two batches are
        in memory."""
        batches = [event_uris[i : i + batch_size] for i in range(0, len(event_uris), batch_size)]
        if not batches:
            return

        def read(event_uri: str) -> list[dict[str, Any]]:
            return list(self.client.paginate(f"{event_uri}/invitees", {}, count=PAGE_SIZE))

        def fetch(batch: list[str]) -> list[dict[str, Any]]:
            return [item for page in self.client.fetch_all(read, batch) for item in page]

        with ThreadPoolExecutor(1, thread_name_prefix="invitee-prefetch") as prefetch:
            pending = prefetch.submit(fetch, batches[0])
            for number, batch in enumerate(batches, start=1):
                items = pending.result()
                if number < len(batches):
                    pending = prefetch.submit(fetch, batches[number])
                yield InviteeBatch(batch, items)
