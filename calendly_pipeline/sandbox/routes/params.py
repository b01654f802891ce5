"""Who is asking and what they asked: authentication and the query parameters of a request.

Each parser raises Calendly's 400 `Invalid Argument` naming the parameter; `all_invalid` widens
a handler's first complaint to every bad common parameter, as Calendly does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from calendly_pipeline.sandbox.ids import parse_ts_us
from calendly_pipeline.sandbox.pagination import ApiError, forbidden, invalid, parse_count
from calendly_pipeline.sandbox.world import World

NOT_IN_ORG = "This user is not in your organization"
_UUID = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Z0-9]{16})$"
)


@dataclass(frozen=True)
class Caller:
    user: int
    role: str

    @property
    def admin(self) -> bool:
        return self.role in ("owner", "admin")


def authenticate(world: World, request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    bad = ApiError(401, "Unauthenticated", "The access token is invalid")
    if scheme.lower() != "bearer" or not token:
        raise bad
    info = world.tokens.get(token)
    if info is None or info.revoked or not world.is_member(info.user):
        raise bad
    if info.expires_us is not None and info.expires_us <= world.now_us:
        raise ApiError(401, "Unauthenticated", "The access token expired")
    return Caller(info.user, world.role(info.user))


def ref(world: World, request: Request, name: str, kind: str, unknown: ApiError) -> int | None:
    """Resolve a URI-valued filter; absent gives None, unknown raises `unknown`."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    tail = raw.rstrip("/").rsplit("/", 1)[-1]
    if not _UUID.match(tail) or not (raw.startswith(("http://", "https://")) or raw == tail):
        raise invalid(name, "must be a valid URI")
    idx = world.lookup(kind, raw)
    if idx is None:
        raise unknown
    return idx


def require_org(world: World, request: Request, required: bool = True) -> bool:
    """True when `organization` names the caller's organization; 403 for any other one."""
    raw = request.query_params.get("organization")
    if raw is None or raw == "":
        if required:
            raise invalid("organization", "is required")
        return False
    ref(world, request, "organization", "organization", forbidden())
    return True


def member_ref(world: World, request: Request, name: str = "user") -> int | None:
    idx = ref(world, request, name, "user", forbidden(NOT_IN_ORG))
    if idx is not None and not world.is_member(idx):
        raise forbidden(NOT_IN_ORG)
    return idx


def parse_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(name, "must be true or false")


def parse_time(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_ts_us(raw)
    except ValueError:
        raise invalid(name, "must be an ISO 8601 date-time with a time zone") from None


def parse_enum(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        raise invalid(name, f"must be one of {', '.join(allowed)}")
    return raw


def parse_sort(
    raw: str | None, allowed: tuple[str, ...], default: str, name: str = "sort"
) -> list[tuple[str, bool]]:
    """`field:direction[,field:direction]` into [(field, descending)]."""
    out = []
    for part in (raw or default).split(","):
        field, _, direction = part.strip().partition(":")
        direction = direction or "asc"
        if field not in allowed or direction not in ("asc", "desc"):
            raise invalid(name, f"must be field:asc|desc with field in {', '.join(allowed)}")
        out.append((field, direction == "desc"))
    return out


def multi(query: Any, name: str) -> list[str]:
    """Array parameters: repeated `name=` (the spec's form style) or `name[]=`."""
    return query.getlist(name) + query.getlist(f"{name}[]")


def collection(items: list[dict], pagination: dict, **extra: Any) -> dict:
    return {"collection": items, "pagination": pagination, **extra}


def all_invalid(request: Request, details: list[dict]) -> list[dict]:
    """Handlers stop at the first bad parameter; the answer lists every bad common one."""
    named = {d.get("parameter") for d in details}
    extra = []
    maximum = 1000 if request.url.path == "/activity_log_entries" else 100
    checks: list[Callable[[], object]] = [lambda: parse_count(request, maximum)]
    for name in (
        "min_start_time",
        "max_start_time",
        "min_occurred_at",
        "max_occurred_at",
        "min_created_at",
        "max_created_at",
    ):
        checks.append(lambda name=name: parse_time(request, name))
    for check in checks:
        try:
            check()
        except ApiError as err:
            extra += [d for d in err.details or [] if d.get("parameter") not in named]
    return extra + details
