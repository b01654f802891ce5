"""Request pacing from Calendly's `X-RateLimit-*` headers, shared by every thread of a client.

Calendly counts a budget per user per minute (500 on paid plans) and reports it on every response:
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the window
resets, not an epoch). Spreading what is left of the window evenly over the time left uses the
budget almost fully without a 429; a 429 blocks every thread until the advertised reset.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
# Wait this long past an advertised reset: it is rounded, and our clock is not the server's.
SAFETY_SECONDS = 0.5


@dataclass(frozen=True)
class RateBudget:
    """The budget as last reported by the server (for `check` and run metadata)."""

    limit: int | None
    remaining: int | None
    reset_seconds: float | None


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


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
        self._blocked_until = 0.0
        self._next_slot = 0.0
        self._in_flight = 0
        self._last = RateBudget(None, None, None)

    @property
    def budget(self) -> RateBudget:
        return self._last

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
                    wait = (self._window_end or now) + SAFETY_SECONDS - now
            time.sleep(max(wait, 0.01))
        if delay > 0:
            time.sleep(delay)

    def _reserve(self, now: float) -> float | None:
        """Reserve the next slot; return the delay until it, or None if the window is spent."""
        if self._window_end is not None and now >= self._window_end + SAFETY_SECONDS:
            # The window has rolled over; assume a fresh budget until a response says otherwise.
            self._window_end = None
            self._remaining = float(self._limit) if self._limit else None
        if self._remaining is None:
            interval = 0.0
        elif self._window_end is None:
            if self._remaining <= 0:
                self._window_end = now + WINDOW_SECONDS
                return None
            interval = WINDOW_SECONDS / self._limit if self._limit else 0.0
        else:
            if self._remaining < 1:
                return None
            # Never faster than the nominal rate either, in case the server's window slides.
            nominal = WINDOW_SECONDS / self._limit if self._limit else 0.0
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
            if not headers:
                return
            now = time.monotonic()
            limit = _number(headers, "X-RateLimit-Limit")
            remaining = _number(headers, "X-RateLimit-Remaining")
            reset = _number(headers, "X-RateLimit-Reset")
            if reset is not None and reset > 86_400:
                # Calendly sends seconds until the reset; tolerate a proxy that sends an epoch.
                reset = max(reset - time.time(), 0.0)
            if limit is not None and remaining is not None and reset is not None:
                self._last = RateBudget(int(limit), int(remaining), reset)
                self._limit = int(limit)
                end = now + reset
                estimate = remaining - self._in_flight
                if self._window_end is None or end > self._window_end + WINDOW_SECONDS / 4:
                    self._remaining = estimate
                    self._window_end = end
                else:
                    self._remaining = min(self._remaining or 0.0, estimate)
                    self._window_end = min(self._window_end, end)
            if status == 429:
                retry_after = _number(headers, "Retry-After")
                wait = retry_after if retry_after is not None else reset
                wait = WINDOW_SECONDS if wait is None else wait
                self._remaining = 0.0
                self._window_end = now + wait
                self._blocked_until = max(self._blocked_until, now + wait + SAFETY_SECONDS)
