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
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request

from calendly_pipeline.sandbox.config import FaultConfig
from calendly_pipeline.sandbox.pagination import EMPTY_MARK, empty_page, encode_token, invalid
from calendly_pipeline.sandbox.rate_limit import RateWindows
from calendly_pipeline.sandbox.wire import error_body, held_send, quote_token, send_json
from calendly_pipeline.sandbox.world import World


class Gate:
    """Pure ASGI wrapper around the router; faults and limits never touch /_sandbox or /oauth."""

    def __init__(self, app: Any, world: World, rate_limit: int, faults: FaultConfig) -> None:
        self.app, self.world = app, world
        self.rate = RateWindows(rate_limit)
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

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        internal = path.startswith("/_sandbox/") or path.startswith("/oauth/")
        if not internal and self.faults.clock_seconds_per_request:
            self.world.advance(hours=self.faults.clock_seconds_per_request / 3600)
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
                span = self.faults.rate_window_seconds
                remaining, reset, allowed = self.rate.take(token or "anonymous", span)
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
                    (
                        b"x-ratelimit-limit",
                        str(self.rate.window_limit(span)).encode(),
                    ),
                    (b"x-ratelimit-remaining", str(remaining).encode()),
                    (b"x-ratelimit-reset", str(reset).encode()),
                ]
            if not allowed:
                body = error_body(
                    "Too Many Requests",
                    "You have exceeded the rate limit. Please retry later.",
                    echo,
                )
                if not faults.no_retry_after:
                    headers.append((b"retry-after", str(reset).encode()))
                await send_json(send, 429, body, headers)
                return
            if isinstance(page, tuple):
                status, answer = page
                await send_json(send, status, json.dumps(answer).encode(), headers)
                return
            rewrite = self._rewriter(scope, page, echo)
            if fault == "latency":
                await asyncio.sleep(self.faults.latency_ms / 1000)
            elif fault == "error":
                status = self.rng.choice((500, 502, 503))
                body = error_body(
                    "Internal Server Error",
                    self.faults.error_message
                    or "The server encountered an unexpected condition that prevented "
                    "it from fulfilling the request.",
                    echo,
                )
                with self.mutex:
                    self.counter["5xx"] += 1
                await send_json(send, status, body, headers)
                return
        await self.app(scope, receive, held_send(send, headers, fault, rewrite))

    def _page_fault(self, scope: dict) -> tuple[int, dict] | str | None:
        """The wild paging faults for a request that carries a `page_token` (under the mutex).

        A (status, body) tuple answers in place of the API; otherwise how `_rewriter` changes
        the API's page: "vanish" drops its first record, "fresh" hands out a new token, "string"
        serves its collection as a string, "understate" its `total_count` as 1; None: as is.
        """
        f = self.faults
        query = parse_qs(scope["query_string"].decode("latin-1"))
        token = (query.get("page_token") or [""])[0]
        if f.ignore_sort and query.pop("sort", None):
            scope["query_string"] = urlencode(query, doseq=True).encode()
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
                body["message"] = quote_token(body["message"], echo)
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


_SEGMENT = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def route_template(path: str) -> str:
    """The route a path matches, as `FaultConfig.paths` and `stats()["by_path"]` name it."""
    return _SEGMENT.sub("/{uuid}", path)
