"""Deterministic identifiers and timestamps.

UUIDs encode (resource kind, integer id) reversibly, so looking up one of a million events needs
no dictionary: decode the id, rebuild the UUID and compare.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from datetime import UTC, datetime, timedelta

_MASK48 = (1 << 48) - 1
_MULT = 0x9E3779B97F4B & _MASK48 | 1  # odd, so invertible modulo 2**48
_MULT_INV = pow(_MULT, -1, 1 << 48)
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000


def mix64(*values: int) -> int:
    """SplitMix64 over a tuple: cheap, well-spread per-item randomness without an RNG object."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
        x = x * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 29
    return x


class UuidCodec:
    """Turns (kind, id) into a UUID-shaped string and back, salted by the world seed."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._kinds: dict[str, int] = {}
        self.encode = functools.lru_cache(maxsize=1 << 17)(self._encode)  # hot: every URI

    def _kind_key(self, kind: str) -> int:
        key = self._kinds.get(kind)
        if key is None:
            digest = hashlib.blake2b(f"{self._seed}:{kind}".encode(), digest_size=8).digest()
            key = self._kinds[kind] = int.from_bytes(digest, "big")
        return key

    def _encode(self, kind: str, ident: int) -> str:
        key = self._kind_key(kind)
        tail = ((ident * _MULT) & _MASK48) ^ (key & _MASK48)
        head = mix64(key, ident)
        h = f"{head:016x}"
        v = 8 + (head >> 62)
        return f"{h[:8]}-{h[8:12]}-4{h[12:15]}-{v:x}{h[15]}{(head >> 4) & 0xFF:02x}-{tail:012x}"

    def decode(self, kind: str, uuid: str) -> int | None:
        """Return the id, or None when the string is not a UUID this world issued for that kind."""
        if not _UUID_RE.match(uuid):
            return None
        key = self._kind_key(kind)
        ident = ((int(uuid[-12:], 16) ^ (key & _MASK48)) * _MULT_INV) & _MASK48
        return ident if self.encode(kind, ident) == uuid else None


def fmt_us(us: int) -> str:
    """Calendly's timestamp shape: UTC, microseconds, trailing Z (hot path: no datetime)."""
    seconds, micro = divmod(int(us), 1_000_000)
    t = time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{micro:06d}Z"
    )


_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|z|[+-]\d{2}:?\d{2})$"
)


def parse_ts_us(text: str) -> int:
    """Parse an ISO 8601 timestamp with any (or no) fraction and a zone; raise ValueError if not."""
    m = _TS_RE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not an ISO 8601 timestamp with a time zone")
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    frac = int((m.group(7) or "0")[:6].ljust(6, "0"))
    dt = datetime(year, month, day, hour, minute, int(m.group(6) or 0), frac, tzinfo=UTC)
    zone = m.group(8)
    if zone not in ("Z", "z"):
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        dt = dt - offset if zone[0] == "+" else dt + offset
    return to_us(dt)


def to_us(dt: datetime) -> int:
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
