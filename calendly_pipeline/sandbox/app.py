"""The Starlette application: mounts the API routes, the OAuth server and the controls.

Request flow: `Gate` (faults.py, pure ASGI: rate limit, faults, `Date` and `X-RateLimit-*`
headers, stats) wraps the Starlette router; each API handler (routes/) runs under the world lock
with the authenticated caller and answers JSON; `ApiError` becomes Calendly's error body.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from calendly_pipeline.sandbox import oauth_server
from calendly_pipeline.sandbox.config import FaultConfig
from calendly_pipeline.sandbox.faults import Gate
from calendly_pipeline.sandbox.pagination import ApiError, not_found
from calendly_pipeline.sandbox.routes.base import Handlers
from calendly_pipeline.sandbox.routes.controls import control
from calendly_pipeline.sandbox.routes.event_types import EventTypeRoutes
from calendly_pipeline.sandbox.routes.events import EventRoutes
from calendly_pipeline.sandbox.routes.members import MemberRoutes
from calendly_pipeline.sandbox.routes.params import Caller, all_invalid, authenticate
from calendly_pipeline.sandbox.routes.records import RecordRoutes
from calendly_pipeline.sandbox.world import World

API: tuple[type[Handlers], ...] = (MemberRoutes, EventTypeRoutes, EventRoutes, RecordRoutes)


def build_app(world: World, rate_limit: int, faults: FaultConfig) -> Gate:
    starlette = Starlette(routes=[], exception_handlers={404: _starlette_404, 405: _starlette_405})
    gate = Gate(starlette, world, rate_limit, faults)

    def endpoint(handler: Callable[[Request, Caller], dict]) -> Callable:
        async def run(request: Request) -> Response:
            try:
                with world.lock:
                    caller = authenticate(world, request)
                    body = handler(request, caller)
            except ApiError as err:
                if err.status == 400 and err.details is not None:
                    err.details = all_invalid(request, err.details)
                return JSONResponse(err.body(), status_code=err.status, headers=err.headers)
            return JSONResponse(body)

        return run

    routes = []
    for group in API:
        handlers = group(world, gate)
        routes += [
            Route(path, endpoint(getattr(handlers, name)), methods=["GET"])
            for path, name in group.ROUTES
        ]
    routes += [
        *(
            Route(path, handler, methods=methods)
            for path, handler, methods in oauth_server.routes()
        ),
        Route("/_sandbox/{name}", control, methods=["GET", "POST"]),
    ]
    starlette.router.routes.extend(routes)
    starlette.state.world = world
    starlette.state.oauth = oauth_server.OAuthServer(world)
    starlette.state.gate = gate
    return gate


async def _starlette_404(request: Request, exc: Exception) -> Response:
    return JSONResponse(not_found().body(), status_code=404)


async def _starlette_405(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"title": "Method Not Allowed", "message": "This operation is not supported."},
        status_code=405,
    )
