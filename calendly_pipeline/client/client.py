"""The Calendly API v2 client: one pooled session, paced, retried, paginated, typed errors.

It knows nothing of Dagster: `defs/resources.py` builds it, `check` and the sync use it.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from calendly_pipeline import __version__
from calendly_pipeline.client.auth import Credentials
from calendly_pipeline.client.errors import (
    AdminRequired,
    AuthError,
    BadRequest,
    CalendlyError,
    InsufficientScope,
    NotFound,
    PageTokenExpired,
    PaginationLoop,
    PermissionDenied,
    PlanFeatureUnavailable,
    RateLimitExhausted,
    ServerError,
    TransportError,
    UnusableResponse,
    redact,
)
from calendly_pipeline.client.ratelimit import RateBudget, RatePacer, parse_http_date

log = logging.getLogger(__name__)

CANONICAL_API = "https://api.calendly.com"
T = TypeVar("T")
R = TypeVar("R")

# Network failures worth another try: resets, refused connections, timeouts, bodies cut short.
_TRANSIENT_NETWORK = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,
)

# Plan-gated endpoints and the feature name a person recognizes.
_FEATURES = {
    "activity_log_entries": "activity log",
    "outgoing_communications": "outgoing communications",
    "routing_forms": "routing forms",
    "routing_form_submissions": "routing forms",
    "webhook_subscriptions": "webhooks",
    "data_compliance": "data compliance",
}
_PLAN = re.compile(r"upgrade your Calendly account to (\w+)", re.IGNORECASE)
# Pages followed when the server announces no total: 10 million records at count=100. Beyond
# that a listing is a server that never ends, not data.
MAX_PAGES = 100_000
ClockSource = Literal["server", "local"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for 5xx and network failures."""

    attempts: int = 6
    initial_wait: float = 0.5
    max_wait: float = 10.0
    deadline_seconds: float = 120.0
    max_429: int = 5


@dataclass(frozen=True)
class Caller:
    """Who the token belongs to, and whether it may read organization scope."""

    user_uri: str
    organization_uri: str
    role: str | None
    name: str
    email: str

    @property
    def is_admin(self) -> bool:
        return self.role in ("owner", "admin")


def sanitize(url: str) -> str:
    """The URL's path only: no host, no query string (page tokens, filters)."""
    return urlsplit(url).path or "/"


def _resource_name(path: str) -> str:
    segments = [s for s in path.split("/") if s]
    named = [s for s in segments if not re.fullmatch(r"[A-Za-z0-9-]{16,}", s)]
    return (named[-1] if named else "resource").replace("_", " ")


class CalendlyClient:
    """Thread-safe client for one token. Share one instance; it paces all threads together."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        auth_base_url: str | None = None,
        timeout: tuple[float, float] = (5, 30),
        max_workers: int = 4,
        retry: RetryPolicy | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL {base_url!r} is not an http(s) URL")
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.base_url = base_url.rstrip("/")
        self.auth_base_url = (auth_base_url or base_url).rstrip("/")
        self.timeout = timeout
        self.max_workers = max_workers
        self.retry = retry or RetryPolicy()
        self._credentials = credentials
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max_workers + 2, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = f"calendly-pipeline/{__version__}"
        self._session.headers["Accept"] = "application/json"
        self._pacer = RatePacer()
        self._count_lock = threading.Lock()
        self._request_count = 0
        # (the server's last sane `Date`, our UTC clock when it arrived)
        self._server_clock: tuple[datetime, datetime] | None = None

    def __repr__(self) -> str:
        return f"CalendlyClient(base_url={self.base_url!r}, credentials={self._credentials!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> CalendlyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def request_count(self) -> int:
        """HTTP requests sent, retries and token refreshes included."""
        with self._count_lock:
            return self._request_count

    @property
    def server_now(self) -> datetime:
        """'Now' for the data, never None: the API's clock from the last parseable `Date` header
        (the sandbox serves its simulated clock), else our own UTC clock (`clock_source`)."""
        clock = self._server_clock
        return clock[0] if clock else datetime.now(UTC)

    def now(self) -> datetime:
        """The same clock as `server_now`."""
        return self.server_now

    @property
    def clock_source(self) -> ClockSource:
        """ "server" once a response carried a usable `Date` header, else "local"."""
        return "server" if self._server_clock else "local"

    @property
    def clock_skew(self) -> timedelta | None:
        """The server's clock minus ours at the last `Date`; None while only ours is known."""
        clock = self._server_clock
        return clock[0] - clock[1] if clock else None

    def _redact(self, text: object) -> str:
        """Server text made safe to show: no secret these credentials hold, length capped."""
        return redact(text, self._credentials.secrets())

    @property
    def rate_budget(self) -> RateBudget:
        return self._pacer.budget

    # -- public reads ---------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a path or absolute URI; the `resource` object if there is one, else the body."""
        body = self.request("GET", path, params)
        resource = body.get("resource")
        return resource if isinstance(resource, dict) else body

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        count: int | None = 100,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """Each page body of a collection, re-sending the original filters with `page_token`.

        Paging is bounded: a repeated token or page, an empty page that still carries a token,
        or far more pages than the server announced raise `PaginationLoop`. A page token the
        server refuses (400 naming `page_token`, e.g. expired) restarts the listing once from
        the first page. A record (by URI) is yielded once per listing, restarted or not.
        """
        query = dict(params or {})
        if count is not None:
            query["count"] = count
        yielded: set[int] = set()
        try:
            yield from self._walk(path, query, max_pages, yielded)
        except _TokenRefused as refused:
            log.warning(
                "%s: the server refused a page token (%s); restarting the listing once",
                sanitize(self._url(path)),
                refused.error.message,
            )
            try:
                yield from self._walk(path, query, max_pages, yielded)
            except _TokenRefused as again:
                error = again.error
                raise PageTokenExpired(
                    error.method,
                    error.path,
                    error.status,
                    "the server refused a page token again after the listing was restarted "
                    f"from the first page ({error.message})",
                ) from None

    def _walk(
        self, path: str, query: dict[str, Any], max_pages: int, yielded: set[int]
    ) -> Iterator[dict[str, Any]]:
        """One pass over a listing (see `pages`); `yielded` holds hashes of the record URIs
        already handed out, so neither a restarted pass nor a shifted page repeats them."""
        where = sanitize(self._url(path))

        def stop(message: str) -> PaginationLoop:
            return PaginationLoop("GET", where, 200, f"{message}; stopping instead of looping")

        tokens: set[str] = set()
        seen_pages: set[tuple[int, Any, Any]] = set()
        token: str | None = None
        bound = max_pages
        number = 0
        while True:
            try:
                body = self.request("GET", path, {**query, "page_token": token} if token else query)
            except BadRequest as exc:
                if token and any(d.get("parameter") == "page_token" for d in exc.details):
                    raise _TokenRefused(exc) from None
                raise
            number += 1
            items = body.get("collection")
            if not isinstance(items, list):
                kind = "missing" if items is None else f"a {type(items).__name__}, not a list"
                raise UnusableResponse(
                    "GET", where, 200, f"unusable response: `collection` is {kind}"
                )
            token = _next_token(body.get("pagination"))
            if number == 1:
                bound = min(max_pages, _announced_pages(body, len(items)) or max_pages)
            uris = [h for h in map(_uri_hash, items) if h is not None]
            if yielded and uris:
                body = {**body, "collection": [i for i in items if _uri_hash(i) not in yielded]}
            yielded.update(uris)
            yield body
            if not token:
                return
            if not items:
                raise stop(
                    f"the server sent an empty page that still carries a next page token "
                    f"(page {number})"
                )
            if number >= bound:
                raise stop(
                    f"the server is still paging after {number} pages (at most {bound} expected)"
                )
            fingerprint = (len(items), uris[0] if uris else None, uris[-1] if uris else None)
            if uris and fingerprint in seen_pages:
                raise stop(f"the server sent the same page again under a new token (page {number})")
            seen_pages.add(fingerprint)
            if token in tokens:
                raise stop(f"the server repeated a page token after {number} pages")
            tokens.add(token)

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, count: int | None = 100
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection, one page in memory at a time."""
        for page in self.pages(path, params, count):
            yield from page["collection"]

    def fetch_all(
        self, fn: Callable[[T], R], items: Iterable[T], max_workers: int | None = None
    ) -> Iterator[R]:
        """`fn(item)` for each item on a bounded pool, results in input order.

        Items are consumed lazily (at most twice the pool size in flight), and every call goes
        through this client, so the fan-out shares its rate budget.
        """
        workers = max_workers or self.max_workers
        pending: deque[Future[R]] = deque()
        with ThreadPoolExecutor(workers, thread_name_prefix="calendly") as pool:
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= 2 * workers:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

    def caller(self) -> Caller:
        """The token's user, organization and role (`/users/me` + its membership)."""
        me = self.get("/users/me")
        org = me.get("current_organization") or ""
        body = self.request(
            "GET", "/organization_memberships", {"user": me["uri"], "organization": org}
        )
        roles = [m.get("role") for m in body.get("collection") or []]
        return Caller(
            user_uri=me["uri"],
            organization_uri=org,
            role=roles[0] if roles else None,
            name=me.get("name", ""),
            email=me.get("email", ""),
        )

    # -- the request pipeline -------------------------------------------------------------

    def request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """One API read with pacing, retries, one OAuth refresh, and typed errors.

        The pipeline only reads, so every failure worth retrying is safe to retry.
        """
        url = self._url(path)
        retrying = Retrying(
            retry=retry_if_exception_type((ServerError, TransportError)),
            stop=stop_after_attempt(self.retry.attempts)
            | stop_after_delay(self.retry.deadline_seconds),
            wait=wait_exponential_jitter(
                initial=self.retry.initial_wait,
                max=self.retry.max_wait,
                jitter=self.retry.initial_wait,
            ),
            before_sleep=_log_retry,
            reraise=True,
        )
        return retrying(self._send, method, url, params)

    def _url(self, path: str) -> str:
        """Join a path to the base URL; absolute URIs must point at the API (never elsewhere)."""
        if not path.startswith(("http://", "https://")):
            return f"{self.base_url}/{path.lstrip('/')}"
        parts = urlsplit(path)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in (self.base_url, self.auth_base_url) or path.startswith(self.base_url + "/"):
            return path
        if origin == CANONICAL_API:
            # Data from production names api.calendly.com; a proxy base URL still serves it.
            return f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        raise ValueError(
            f"refusing to send the token to {origin}: not the API base URL {self.base_url}"
        )

    def _count(self) -> None:
        with self._count_lock:
            self._request_count += 1

    def _http(
        self, method: str, url: str, headers: Mapping[str, str], **kwargs: Any
    ) -> requests.Response:
        """Send once through the pacer; network failures become `TransportError`."""
        self._pacer.acquire()
        self._count()
        response: requests.Response | None = None
        try:
            response = self._session.request(
                method, url, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.Timeout as exc:
            raise TransportError(method, sanitize(url), None, "request timed out") from exc
        except _TRANSIENT_NETWORK as exc:
            raise TransportError(
                method,
                sanitize(url),
                None,
                f"connection failed or response cut short ({type(exc).__name__})",
            ) from exc
        finally:
            self._pacer.release(
                response.headers if response is not None else None,
                status=response.status_code if response is not None else None,
            )
        server = parse_http_date(response.headers.get("Date"))
        if server is not None:
            self._server_clock = (server, datetime.now(UTC))
        return response

    def _post_token(self, form: dict[str, str]) -> requests.Response:
        """POST the OAuth token form; a network failure is retried with the request it serves."""
        return self._http("POST", f"{self.auth_base_url}/oauth/token", {}, data=form)

    def _send(self, method: str, url: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        path = sanitize(url)
        token = self._credentials.access_token(self._post_token)
        refreshed = False
        limited = 0
        while True:
            response = self._http(method, url, {"Authorization": f"Bearer {token}"}, params=params)
            status = response.status_code
            if status == 429:
                limited += 1
                if limited > self.retry.max_429:
                    raise RateLimitExhausted(
                        method,
                        path,
                        429,
                        f"rate limit exhausted: still 429 after waiting out {limited - 1} resets",
                    )
                log.warning("rate limited on %s %s; waiting for the reset", method, path)
                continue  # the pacer now blocks every thread until the advertised reset
            # Any 401 is worth one refresh (OAuth only: a PAT cannot refresh): an expired access
            # token gets a new one, a revoked grant turns into ReconnectNeeded.
            if (
                status == 401
                and not refreshed
                and self._credentials.refresh(token, self._post_token)
            ):
                refreshed = True
                token = self._credentials.access_token(self._post_token)
                log.info("access token refused; refreshed once and retrying %s", path)
                continue
            if status >= 400:
                raise _error(method, path, params, response, self._redact)
            try:
                body = response.json()
            except ValueError:
                raise TransportError(method, path, status, "malformed JSON body") from None
            if not isinstance(body, dict):
                raise TransportError(method, path, status, "JSON body is not an object")
            return body


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(
    method: str,
    path: str,
    params: Mapping[str, Any] | None,
    response: requests.Response,
    clean: Callable[[object], str],
) -> CalendlyError:
    """Turn an error response into the typed error that names the problem.

    Every piece of server text passes `clean` (redaction and a length cap) first.
    """
    status = response.status_code
    body = _body(response)
    message = clean(body.get("message") or body.get("title") or f"HTTP {status}")
    if status == 400:
        details = body.get("details")
        return BadRequest(
            method,
            path,
            status,
            [
                {
                    "parameter": clean(d.get("parameter", "?")),
                    "message": clean(d.get("message", "")),
                }
                for d in (details if isinstance(details, list) else [])
                if isinstance(d, dict)
            ],
        )
    if status == 401:
        kind = "expired" if "expired" in message.lower() else "invalid_or_revoked"
        return AuthError(method, path, status, kind)
    if status == 403:
        if body.get("title") == "Insufficient scope":
            scopes = body.get("required_scopes")
            return InsufficientScope(
                method, path, status, [clean(s) for s in scopes if isinstance(scopes, list)]
            )
        plan = _PLAN.search(message)
        if plan or "upgrade" in message.lower():
            feature = next((f for key, f in _FEATURES.items() if key in path), _resource_name(path))
            return PlanFeatureUnavailable(
                method, path, status, feature, plan.group(1) if plan else None
            )
        query = params or {}
        if "/invitations" in path:
            return AdminRequired(method, path, status, "organization invitations")
        if "organization" in query and "user" not in query:
            return AdminRequired(method, path, status, f"organization-wide {_resource_name(path)}")
        return PermissionDenied(method, path, status, f"permission denied: {message}")
    if status == 404:
        return NotFound(method, path, status, f"not found: {message}")
    if status >= 500:
        return ServerError(method, path, status, f"server error: {message}")
    return CalendlyError(method, path, status, message)


def _next_token(pagination: Any) -> str | None:
    """`next_page_token`, or the `page_token` inside `next_page` when only the URL is given."""
    if not isinstance(pagination, dict):
        return None
    token = pagination.get("next_page_token")
    if token:
        return str(token)
    next_page = pagination.get("next_page")
    if next_page:
        values = parse_qs(urlsplit(next_page).query).get("page_token")
        return values[0] if values else None
    return None


class _TokenRefused(Exception):
    """A page token was refused (400 naming `page_token`): `pages` restarts the listing."""

    def __init__(self, error: BadRequest) -> None:
        super().__init__(error.message)
        self.error = error


def _uri_hash(item: object) -> int | None:
    """A record's identity for de-duplication after a restart (hashes: 10^5 URIs stay small)."""
    uri = item.get("uri") if isinstance(item, dict) else None
    return hash(uri) if isinstance(uri, str) else None


def _announced_pages(body: dict[str, Any], page_size: int) -> int | None:
    """Pages a listing may take, from the total its first page announces (`total_count`),
    doubled with room to spare for records added while paging; None when nothing is announced."""
    pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
    total = body.get("total_count", pagination.get("total_count"))
    if body.get("exceeds_max_total_count") or page_size < 1:
        return None
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        return None
    return 2 * math.ceil(total / page_size) + 2


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("retry %d in %.1fs after: %s", state.attempt_number, wait, exc)
