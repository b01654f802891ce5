"""What every group of API handlers shares: the world, the gate's faults, paging helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from calendly_pipeline.sandbox.config import PLANS
from calendly_pipeline.sandbox.faults import route_template
from calendly_pipeline.sandbox.pagination import Pager, forbidden, not_found, page_of, parse_count
from calendly_pipeline.sandbox.routes.params import collection, parse_sort
from calendly_pipeline.sandbox.world import World

if TYPE_CHECKING:
    from calendly_pipeline.sandbox.faults import Gate


class Handlers:
    """A group of GET handlers; each runs under the world lock with the authenticated caller.

    `ROUTES` maps each path template to the method that answers it.
    """

    ROUTES: tuple[tuple[str, str], ...] = ()

    def __init__(self, world: World, gate: Gate) -> None:
        self.world, self.gate = world, gate

    def pager(self, request: Request) -> Pager:
        faults = self.gate.faults
        repeat = faults.repeat_page_token and faults.applies_to(route_template(request.url.path))
        return Pager(request, self.world.base, repeat=repeat)

    def list_page(
        self,
        request: Request,
        items: list,
        key: Callable,
        desc: list[bool],
        scope: str,
        render: Callable,
        maximum: int = 100,
        **extra: Any,
    ) -> dict:
        count = parse_count(request, maximum)
        chunk, next_key = page_of(items, key, desc, request, scope, count)
        return collection(
            [render(i) for i in chunk], self.pager(request).block(count, next_key, scope), **extra
        )

    def by_created(
        self,
        request: Request,
        rows: list,
        scope: str,
        render: Callable,
        key: Callable = lambda record: (record.created_us, record.idx),
    ) -> dict:
        """Collections the spec sorts by `created_at` only; `key` gives (created_at, id)."""
        (_, desc), *_ = parse_sort(
            request.query_params.get("sort"), ("created_at",), "created_at:asc"
        )
        return self.list_page(request, rows, key, [desc, desc], f"{scope}:{int(desc)}", render)

    def path_id(self, request: Request, kind: str, param: str = "uuid") -> int:
        """The index of the `kind` the path names; 404 when this world has none."""
        idx = self.world.lookup(kind, request.path_params[param])
        if idx is None:
            raise not_found()
        return idx

    def check_org_path(self, uuid: str) -> None:
        if self.world.lookup("organization", uuid) is None:
            raise forbidden()

    def plan_at_least(self, plan: str, message: str) -> None:
        if PLANS.index(self.world.data.plan) < PLANS.index(plan):
            raise forbidden(message)
