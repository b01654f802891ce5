"""What goes out on the socket: JSON answers the gate sends itself, and handler answers held
back to rewrite, cut short or drop (docs/sandbox.md, "Faults")."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


class DropConnection(Exception):
    """Raised mid-body so uvicorn closes the socket (the drop_rate fault)."""


def held_send(
    send: Callable,
    extra: list[tuple[bytes, bytes]],
    fault: str | None,
    rewrite: Callable[[int, dict], dict] | None = None,
) -> Callable:
    """`send` that adds `extra` headers, and holds an answer to rewrite it or to cut it short
    (the malformed fault) or drop the socket mid-body (the drop fault)."""
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
                set_length(start, len(body))
                if not (fault in ("drop", "malformed") and start["status"] == 200):
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                    return
            cut = body[: max(1, len(body) // 2)]
            if fault == "malformed":
                set_length(start, len(cut))
                await send(start)
                await send({"type": "http.response.body", "body": cut, "more_body": False})
                return
            await send(start)
            await send({"type": "http.response.body", "body": cut, "more_body": True})
            raise DropConnection("fault injection: connection dropped mid-body")
        await send(message)

    return wrapped


def set_length(start: dict, length: int) -> None:
    """Replace the Content-Length of a held `http.response.start` message."""
    start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    start["headers"].append((b"content-length", str(length).encode()))


def quote_token(message: str, token: str) -> str:
    """What a careless server or proxy does: quote the request's credentials back."""
    return f"{message} (request header Authorization: Bearer {token})"


def error_body(title: str, message: str, echo: str | None) -> bytes:
    """An error body as Calendly shapes it; `echo` is the token the echo fault quotes."""
    return json.dumps(
        {"title": title, "message": quote_token(message, echo) if echo is not None else message}
    ).encode()


async def send_json(
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
