"""The rate limit: a fixed window per token, in real wall-clock seconds (never the simulated
clock), as `X-RateLimit-*` report it."""

from __future__ import annotations

import time


class RateWindows:
    """Each token's fixed window; `limit` is per minute (0: unlimited)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.windows: dict[str, tuple[float, int]] = {}

    def window_limit(self, span: int) -> int:
        """The budget per window of `span` seconds: the per-minute limit scaled, rounded up."""
        return -(-self.limit * span // 60) if self.limit else 1_000_000

    def take(self, key: str, span: int) -> tuple[int, int, bool]:
        """(remaining, seconds to reset, allowed) for this token's fixed window."""
        limit = self.window_limit(span)
        now = time.monotonic()
        start, used = self.windows.get(key, (now, 0))
        if now - start >= span:
            start, used = now, 0
        allowed = used < limit
        used += 1 if allowed else 0
        self.windows[key] = (start, used)
        reset = max(1, int(span - (now - start) + 0.999))
        return max(0, limit - used), reset, allowed
