"""Request pacing from the `X-RateLimit-*` headers, shared by every thread of a client.

Calendly counts a budget per user per minute (500 on paid plans, 50 on Free) and reports it on
every response: `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds
until the window resets, not an epoch). Spreading what is left of the window evenly over the time
left uses the budget almost fully without a 429; a 429 blocks every thread until the advertised
reset.

No header is trusted to be there or to be sane (proxies and look-alike servers drop, mangle or
invent them): the window's length is learned from the resets the server advertises, not assumed
to be 60 s; without rate headers nothing is paced until a 429; a 429 without `Retry-After` waits
out `X-RateLimit-Reset`, else a bounded exponential backoff; malformed values are ignored and
huge ones clamped.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState, wait_exponential_jitter

# Calendly's window, assumed until the server's own resets show its length.
DEFAULT_WINDOW_SECONDS = 60.0
# Wait this long past an advertised reset (at most a tenth of the window): it is rounded, and
# our clock is not the server's.
SAFETY_SECONDS = 0.5
# No advertised wait is believed beyond this: two Calendly windows. A lying header costs a
# retry, never a stalled run.
MAX_WAIT_SECONDS = 120.0
MAX_LIMIT = 1_000_000
# A 429 that says nothing about when to come back: 1 s, 2 s, 4 s ... up to 60 s, with jitter.
_BACKOFF = wait_exponential_jitter(initial=1.0, max=60.0, jitter=1.0)
# Servers this old do not exist; such a `Date` is a broken proxy, not a clock.
_EARLIEST_DATE = datetime(2013, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RateBudget:
    """The budget as last reported by the server (for `check` and run metadata)."""

    limit: int | None
    remaining: int | None
    reset_seconds: float | None


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date (`Date`, `Retry-After`) as aware UTC; None when absent or not a sane date."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000": UTC by RFC 5322
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed if parsed >= _EARLIEST_DATE else None


def _number(headers: Mapping[str, str], name: str) -> float | None:
    """A non-negative finite number, or None when absent or malformed."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _seconds(value: float | None) -> float | None:
    """A wait in seconds; an epoch (some proxies send one) becomes seconds from now; clamped."""
    if value is None:
        return None
    if value > 86_400:
        value = max(value - time.time(), 0.0)
    return min(value, MAX_WAIT_SECONDS)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date measured against the response's
    own `Date` (else our clock); None when absent or malformed."""
    seconds = _number(headers, "Retry-After")
    if seconds is not None:
        return _seconds(seconds)
    when = parse_http_date(headers.get("Retry-After"))
    if when is None:
        return None
    now = parse_http_date(headers.get("Date")) or datetime.now(UTC)
    return _seconds(max((when - now).total_seconds(), 0.0))


def backoff_seconds(attempt: int) -> float:
    """The wait before retry `attempt` (1-based) when the server gave no hint."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    return _BACKOFF(state)


class RatePacer:
    """Hands out send slots so that the budget left lasts until the window resets.

    Slots are reserved under a lock and slept outside it, so threads queue fairly without
    serializing the HTTP calls themselves. Requests in flight are subtracted from the server's
    `Remaining`, because the server may not have counted them yet.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._remaining: float | None = None
        self._window_end: float | None = None
        # The longest reset seen: the window is at least that long.
        self._window: float | None = None
        self._blocked_until = 0.0
        self._next_slot = 0.0
        self._in_flight = 0
        self._limited = 0  # consecutive 429s, for the backoff when nothing says how long
        self._last = RateBudget(None, None, None)

    @property
    def budget(self) -> RateBudget:
        return self._last

    @property
    def window_seconds(self) -> float:
        """The window's length as the server's resets show it (Calendly's 60 s until then)."""
        return self._window or DEFAULT_WINDOW_SECONDS

    @property
    def _safety(self) -> float:
        return min(SAFETY_SECONDS, self.window_seconds / 10)

    def acquire(self) -> None:
        """Block until this thread may send one request."""
        while True:
            with self._lock:
                now = time.monotonic()
                wait = self._blocked_until - now
                if wait <= 0:
                    delay = self._reserve(now)
                    if delay is not None:
                        self._in_flight += 1
                        break
                    wait = (self._window_end or now) + self._safety - now
            time.sleep(max(wait, 0.01))
        if delay > 0:
            time.sleep(delay)

    def _reserve(self, now: float) -> float | None:
        """Reserve the next slot; return the delay until it, or None if the window is spent."""
        window = self.window_seconds
        if self._window_end is not None and now >= self._window_end + self._safety:
            # The window has rolled over; assume a fresh budget until a response says otherwise.
            self._window_end = None
            self._remaining = float(self._limit) if self._limit else None
        # Never faster than the nominal rate either, in case the server's window slides.
        nominal = window / self._limit if self._limit else 0.0
        if self._remaining is None:
            interval = 0.0
        elif self._window_end is None:
            if self._remaining <= 0:
                self._window_end = now + window
                return None
            interval = nominal
        else:
            if self._remaining < 1:
                return None
            interval = max(max(self._window_end - now, 0.0) / self._remaining, nominal)
        slot = max(now, self._next_slot)
        self._next_slot = slot + interval
        if self._remaining is not None:
            self._remaining -= 1
        return slot - now

    def release(self, headers: Mapping[str, str] | None, *, status: int | None = None) -> None:
        """Record a finished request (or one that got no response, with `headers=None`)."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            if headers is None:
                return
            now = time.monotonic()
            limit = _number(headers, "X-RateLimit-Limit")
            remaining = _number(headers, "X-RateLimit-Remaining")
            reset = _seconds(_number(headers, "X-RateLimit-Reset"))
            if limit is not None and 1 <= limit <= MAX_LIMIT and remaining is not None and reset:
                self._observe(now, int(limit), min(int(remaining), int(limit)), reset)
            if status != 429:
                self._limited = 0
                return
            wait = _retry_after(headers)
            if wait is None:
                wait = reset
            if wait is None:
                if now < self._blocked_until:
                    return  # sent before the backoff began: that wait covers it too
                self._limited += 1
                wait = backoff_seconds(self._limited)
            self._remaining = 0.0
            self._window_end = now + wait
            self._blocked_until = max(self._blocked_until, now + wait + self._safety)

    def _observe(self, now: float, limit: int, remaining: int, reset: float) -> None:
        """Adopt a sane `X-RateLimit-*` triple: the budget, the window's end and length."""
        self._last = RateBudget(limit, remaining, reset)
        self._limit = limit
        self._window = max(self._window or 0.0, reset)
        end = now + reset
        estimate = remaining - self._in_flight
        if self._window_end is None or end > self._window_end + self.window_seconds / 4:
            self._remaining = estimate
            self._window_end = end
        else:
            self._remaining = min(self._remaining or 0.0, estimate)
            self._window_end = min(self._window_end, end)
