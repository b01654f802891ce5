"""The gate in front of the API: rate limits, injected faults, `Date` and `X-RateLimit-*`
headers, request stats (docs/sandbox.md, "Faults" and "Wild transport").

A pure ASGI wrapper around the Starlette router: it answers 429s and injected errors itself,
rewrites or cuts the handlers' answers on their way out, and never touches `/_sandbox/` or
`/oauth/`.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request

from calendly_pipeline.sandbox.config import FaultConfig
from calendly_pipeline.sandbox.pagination import EMPTY_MARK, empty_page, encode_token, invalid
from calendly_pipeline.sandbox.world import World


class DropConnection(Exception):
    """Raised mid-body so uvicorn closes the socket (the drop_rate fault)."""


class Gate:
    """Pure ASGI wrapper around the router; faults and limits never touch /_sandbox or /oauth."""

    def __init__(self, app: Any, world: World, rate_limit: int, faults: FaultConfig) -> None:
        self.app, self.world = app, world
        self.limit = rate_limit
        self.windows: dict[str, tuple[float, int]] = {}
        self.mutex = threading.Lock()
        self.counter: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()
        self.set_faults(faults)

    def set_faults(self, faults: FaultConfig) -> None:
        with self.mutex:
            self.faults = faults
            self.rng = random.Random(faults.seed)
            self.burst_left = faults.burst_429
            self.expire_left = faults.expire_page_tokens
            self.vanish_left = faults.vanish_between_pages
            self.endless_tokens = 0

    def stats(self) -> dict:
        with self.mutex:
            return {
                "requests": self.counter["requests"],
                "by_path": dict(self.by_path),
                **{k: v for k, v in self.counter.items() if k != "requests"},
            }

    @property
    def window_limit(self) -> int:
        """The budget per window: the per-minute limit scaled to the window, rounded up."""
        span = self.faults.rate_window_seconds
        return -(-self.limit * span // 60) if self.limit else 1_000_000

    def _window(self, key: str) -> tuple[int, int, bool]:
        """(remaining, seconds to reset, allowed) for this token's fixed window."""
        limit, span = self.window_limit, self.faults.rate_window_seconds
        now = time.monotonic()
        start, used = self.windows.get(key, (now, 0))
        if now - start >= span:
            start, used = now, 0
        allowed = used < limit
        used += 1 if allowed else 0
        self.windows[key] = (start, used)
        reset = max(1, int(span - (now - start) + 0.999))
        return max(0, limit - used), reset, allowed

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        internal = path.startswith("/_sandbox/") or path.startswith("/oauth/")
        date = formatdate(self.world.now_us / 1_000_000, usegmt=True).encode()
        headers: list[tuple[bytes, bytes]] = [(b"date", date)]
        if not internal and self.faults.no_date_header:
            headers = []
        fault = None
        rewrite = None
        route = route_template(path)
        if not internal:
            token = (
                dict(scope["headers"])
                .get(b"authorization", b"")
                .decode("latin-1")
                .partition(" ")[2]
                .strip()
            )
            with self.mutex:
                self.counter["requests"] += 1
                self.by_path[route] += 1
                remaining, reset, allowed = self._window(token or "anonymous")
                targeted = self.faults.applies_to(route)
                if allowed and targeted and self.burst_left > 0:
                    self.burst_left -= 1
                    allowed, remaining = False, 0
                    reset = self.faults.retry_after_seconds or reset
                fault = self._draw() if allowed and targeted else None
                if not allowed:
                    self.counter["429"] += 1
                page = self._page_fault(scope) if allowed and not fault and targeted else None
            faults = self.faults
            echo = token if faults.echo_token_in_errors else None
            if not faults.no_rate_headers:
                headers += [
                    (b"x-ratelimit-limit", str(self.window_limit).encode()),
                    (b"x-ratelimit-remaining", str(remaining).encode()),
                    (b"x-ratelimit-reset", str(reset).encode()),
                ]
            if not allowed:
                body = _error_body(
                    "Too Many Requests",
                    "You have exceeded the rate limit. Please retry later.",
                    echo,
                )
                if not faults.no_retry_after:
                    headers.append((b"retry-after", str(reset).encode()))
                await _send_json(send, 429, body, headers)
                return
            if isinstance(page, tuple):
                status, answer = page
                await _send_json(send, status, json.dumps(answer).encode(), headers)
                return
            rewrite = self._rewriter(scope, page, echo)
            if fault == "latency":
                await asyncio.sleep(self.faults.latency_ms / 1000)
            elif fault == "error":
                status = self.rng.choice((500, 502, 503))
                body = _error_body(
                    "Internal Server Error",
                    self.faults.error_message
                    or "The server encountered an unexpected condition that prevented "
                    "it from fulfilling the request.",
                    echo,
                )
                with self.mutex:
                    self.counter["5xx"] += 1
                await _send_json(send, status, body, headers)
                return
        await self.app(scope, receive, self._sender(send, headers, fault, rewrite))

    def _page_fault(self, scope: dict) -> tuple[int, dict] | str | None:
        """The wild paging faults for a request that carries a `page_token` (under the mutex).

        A (status, body) tuple answers in place of the API; otherwise how `_rewriter` changes
        the API's page: "vanish" drops its first record, "fresh" hands out a new token, "string"
        serves its collection as a string, "understate" its `total_count` as 1; None: as is.
        """
        f = self.faults
        query = parse_qs(scope["query_string"].decode("latin-1"))
        token = (query.get("page_token") or [""])[0]
        if f.string_collection:
            return "string"
        if f.understated_total and not token:
            return "understate"
        if f.stuck_page_tokens:
            # Every token leads back to the first page, under a new token each time.
            query.pop("page_token", None)
            scope["query_string"] = urlencode(query, doseq=True).encode()
            return "fresh"
        if not token:
            return "fresh" if f.endless_page_tokens else None
        request = Request(scope)
        if self.expire_left > 0:
            self.expire_left -= 1
            self.counter["expired_tokens"] += 1
            return 400, invalid("page_token", "has expired; start again from the first page").body()
        if f.endless_page_tokens:
            self.endless_tokens += 1
            fresh = encode_token("endless", [self.endless_tokens])
            return 200, empty_page(request, self.world.base, fresh)
        if f.empty_page_with_token and not token.startswith(EMPTY_MARK):
            self.counter["empty_pages"] += 1
            return 200, empty_page(request, self.world.base, EMPTY_MARK + token)
        if token.startswith(EMPTY_MARK):
            # The page behind an empty one: the handler reads the real token.
            query["page_token"] = [token.removeprefix(EMPTY_MARK)]
            scope["query_string"] = urlencode(query, doseq=True).encode()
        if self.vanish_left > 0:
            self.vanish_left -= 1
            self.counter["vanished"] += 1
            return "vanish"
        return None

    def _rewriter(
        self, scope: dict, page: str | None, echo: str | None
    ) -> Callable[[int, dict], dict] | None:
        """How the handler's JSON answer is changed on its way out (None: not at all)."""
        if page is None and echo is None:
            return None

        def rewrite(status: int, body: dict) -> dict:
            if echo is not None and status >= 400 and isinstance(body.get("message"), str):
                body["message"] = _echo(body["message"], echo)
            pagination = body.get("pagination")
            if status != 200 or not isinstance(pagination, dict):
                return body
            if page == "vanish" and body.get("collection"):
                body["collection"] = body["collection"][1:]
            if page == "string":
                body["collection"] = json.dumps(body.get("collection"))
            if page == "understate" and "total_count" in body:
                body["total_count"] = 1
            if page == "fresh":
                with self.mutex:
                    self.endless_tokens += 1
                    fresh = encode_token("endless", [self.endless_tokens])
                body["pagination"] = empty_page(Request(scope), self.world.base, fresh)[
                    "pagination"
                ]
            return body

        return rewrite

    def _draw(self) -> str | None:
        f, r = self.faults, self.rng
        if f.error_rate and r.random() < f.error_rate:
            return "error"
        if f.drop_rate and r.random() < f.drop_rate:
            self.counter["dropped"] += 1
            return "drop"
        if f.malformed_rate and r.random() < f.malformed_rate:
            self.counter["malformed"] += 1
            return "malformed"
        if f.latency_ms and f.latency_rate and r.random() < f.latency_rate:
            self.counter["delayed"] += 1
            return "latency"
        return None

    def _sender(
        self,
        send: Callable,
        extra: list[tuple[bytes, bytes]],
        fault: str | None,
        rewrite: Callable[[int, dict], dict] | None = None,
    ) -> Callable:
        held: dict[str, Any] = {}

        async def wrapped(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"date"
                ] + extra
                cut_short = fault in ("drop", "malformed") and message["status"] == 200
                if cut_short or rewrite is not None:
                    held["start"] = message
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and "start" in held:
                body = message.get("body", b"")
                start = held.pop("start")
                if rewrite is not None:
                    # Handlers answer with one JSONResponse body, so it is whole here.
                    answer = json.loads(body)
                    body = json.dumps(rewrite(start["status"], answer)).encode()
                    _set_length(start, len(body))
                    if not (fault in ("drop", "malformed") and start["status"] == 200):
                        await send(start)
                        await send({"type": "http.response.body", "body": body})
                        return
                cut = body[: max(1, len(body) // 2)]
                if fault == "malformed":
                    _set_length(start, len(cut))
                    await send(start)
                    await send({"type": "http.response.body", "body": cut, "more_body": False})
                    return
                await send(start)
                await send({"type": "http.response.body", "body": cut, "more_body": True})
                raise DropConnection("fault injection: connection dropped mid-body")
            await send(message)

        return wrapped


def _set_length(start: dict, length: int) -> None:
    """Replace the Content-Length of a held `http.response.start` message."""
    start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    start["headers"].append((b"content-length", str(length).encode()))


def _echo(message: str, token: str) -> str:
    """What a careless server or proxy does: quote the request's credentials back."""
    return f"{message} (request header Authorization: Bearer {token})"


def _error_body(title: str, message: str, echo: str | None) -> bytes:
    """An error body as Calendly shapes it; `echo` is the token the echo fault quotes."""
    return json.dumps(
        {"title": title, "message": _echo(message, echo) if echo is not None else message}
    ).encode()


async def _send_json(
    send: Callable, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_SEGMENT = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def route_template(path: str) -> str:
    """The route a path matches, as `FaultConfig.paths` and `stats()["by_path"]` name it."""
    return _SEGMENT.sub("/{uuid}", path)
