"""`/_sandbox/<name>`: the world controls over HTTP (POST, a JSON object of keyword arguments),
and the ground-truth reads `GET /_sandbox/manifest` and `/_sandbox/stats`."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from calendly_pipeline.sandbox.manifest import build_manifest
from calendly_pipeline.sandbox.world import World
from calendly_pipeline.sandbox.world_controls import CONTROLS


async def control(request: Request) -> Response:
    world: World = request.app.state.world
    name = request.path_params["name"]
    if name == "manifest":
        return JSONResponse(build_manifest(world))
    if name == "stats":
        return JSONResponse(request.app.state.gate.stats())
    if name not in CONTROLS:
        return JSONResponse(
            {"error": f"unknown control {name!r}", "controls": list(CONTROLS)}, status_code=404
        )
    if request.method != "POST":
        return JSONResponse({"error": f"use POST /_sandbox/{name}"}, status_code=405)
    raw = await request.body()
    try:
        kwargs = json.loads(raw) if raw else {}
        if not isinstance(kwargs, dict):
            raise ValueError("the body must be a JSON object of keyword arguments")
        result = getattr(world, name)(**kwargs)
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"result": result})
