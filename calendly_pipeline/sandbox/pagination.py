"""Count validation, opaque page tokens and the `pagination` object, as Calendly shapes them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request


class ApiError(Exception):
    """An error answer with Calendly's body shape (REFERENCE.md section 3)."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        details: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {message}")
        self.status, self.title, self.message = status, title, message
        self.details, self.headers = details, headers or {}

    def body(self) -> dict:
        out: dict[str, Any] = {"title": self.title, "message": self.message}
        if self.details is not None:
            out["details"] = self.details
        return out


def invalid(parameter: str, message: str) -> ApiError:
    return ApiError(
        400,
        "Invalid Argument",
        "The supplied parameters are invalid.",
        [{"parameter": parameter, "message": message}],
    )


def forbidden(message: str = "You do not have permission to access this resource.") -> ApiError:
    return ApiError(403, "Permission Denied", message)


def not_found() -> ApiError:
    return ApiError(404, "Resource Not Found", "The server could not find the requested resource.")


def parse_count(request: Request, maximum: int = 100) -> int:
    raw = request.query_params.get("count")
    if raw is None or raw == "":
        return 20
    try:
        count = int(raw)
    except ValueError:
        raise invalid("count", f"must be an integer between 1 and {maximum}") from None
    if not 1 <= count <= maximum:
        raise invalid("count", f"must be an integer between 1 and {maximum}")
    return count


def encode_token(scope: str, key: Sequence[Any]) -> str:
    raw = json.dumps([scope, list(key)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(request: Request, scope: str) -> list | None:
    """The sort key after which the page starts; None for the first page."""
    token = request.query_params.get("page_token")
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        got_scope, key = json.loads(raw)
    except (ValueError, TypeError):
        raise invalid("page_token", "is invalid") from None
    if got_scope != scope or not isinstance(key, list):
        raise invalid(
            "page_token", "does not belong to this query (keep filters and sort unchanged)"
        )
    return key


class Pager:
    """Builds `pagination` for one request; `repeat` is the repeat_page_token fault."""

    def __init__(self, request: Request, base: str, repeat: bool = False) -> None:
        self.request, self.base, self.repeat = request, base, repeat

    def block(self, count: int, next_key: Sequence[Any] | None, scope: str) -> dict:
        token = encode_token(scope, next_key) if next_key is not None else None
        current = self.request.query_params.get("page_token")
        if self.repeat and current:
            # Even the last page hands back the token it was asked with, so a two-page list loops.
            token = current
        return self.pagination(count, token)

    def pagination(self, count: int, token: str | None) -> dict:
        """The `pagination` object pointing at `token` (None: the last page)."""
        return {
            "count": count,
            "next_page": self._url(token) if token else None,
            "previous_page": None,
            "next_page_token": token,
            "previous_page_token": None,
        }

    def _url(self, token: str) -> str:
        params = [(k, v) for k, v in self.request.query_params.multi_items() if k != "page_token"]
        params.append(("page_token", token))
        return f"{self.base}{self.request.url.path}?{urlencode(params)}"


def _after(key: Sequence[Any], cursor: Sequence[Any], desc: Sequence[bool]) -> bool:
    for value, mark, is_desc in zip(key, cursor, desc, strict=True):
        if value == mark:
            continue
        return (value < mark) if is_desc else (value > mark)
    return False


def page_of(
    items: Sequence[Any],
    key: Callable[[Any], Sequence[Any]],
    desc: Sequence[bool],
    request: Request,
    scope: str,
    count: int,
) -> tuple[list[Any], Sequence[Any] | None]:
    """One page of an in-memory list ordered by `key` (each component with its own direction)."""
    rows = list(items)
    for i in reversed(range(len(desc))):
        rows.sort(key=lambda item, i=i: key(item)[i], reverse=desc[i])
    cursor = decode_token(request, scope)
    start = 0
    if cursor is not None:
        start = next(
            (i for i, item in enumerate(rows) if _after(key(item), cursor, desc)), len(rows)
        )
    chunk = rows[start : start + count]
    more = start + count < len(rows)
    return chunk, (key(chunk[-1]) if more and chunk else None)


# A token the `empty_page_with_token` fault hands out: the real token behind a marker.
EMPTY_MARK = "empty~"


def empty_page(request: Request, base: str, token: str) -> dict:
    """A collection page with no records that still points at `token` (wild paging faults)."""
    try:
        count = parse_count(request, maximum=1000)
    except ApiError:
        count = 20
    return {"collection": [], "pagination": Pager(request, base).pagination(count, token)}
