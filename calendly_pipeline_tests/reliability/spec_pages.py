"""Pages the official spec allows, as Hypothesis strategies, and a server that serves them.

The strategies come from the spec's own JSON schemas through schemathesis' JSON-schema engine
(hypothesis-jsonschema does not run on current Hypothesis). Only the formats are narrowed to
values a real server sends: `uri` is an API URI with a UUID, `date-time` an RFC 3339 string in
the spellings Calendly and proxies use, `email` an address.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from schemathesis.generation.jsonschema.builder import build

API = "https://api.calendly.com"

_RESOURCES = ("users", "organizations", "scheduled_events", "event_types", "groups")
_uris = st.builds(
    lambda kind, uuid: f"{API}/{kind}/{uuid}", st.sampled_from(_RESOURCES), st.uuids()
)
_moments = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
_SPELLINGS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%f+00:00")
_date_times = st.builds(
    lambda moment, spelling: moment.strftime(spelling), _moments, st.sampled_from(_SPELLINGS)
)
FORMATS = {"uri": _uris, "date-time": _date_times, "email": st.emails()}


class Spec:
    """The spec's component schemas with every `$ref` inlined (none of them is recursive)."""

    def __init__(self, path: Path) -> None:
        document = json.loads(path.read_text())
        self._paths = document["paths"]
        self._schemas = document["components"]["schemas"]

    def _inline(self, node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = self._schemas[node["$ref"].rsplit("/", 1)[-1]]
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return self._inline({**target, **rest})
            return {key: self._inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._inline(value) for value in node]
        return node

    def item_schema(self, path: str) -> dict[str, Any]:
        """The schema of one item of GET `path`'s 200 `collection`."""
        response = self._paths[path]["get"]["responses"]["200"]["content"]["application/json"]
        body = self._inline(response["schema"])
        return body["properties"]["collection"]["items"]

    def items(self, path: str, max_size: int = 6) -> st.SearchStrategy[list[dict[str, Any]]]:
        """Lists of items the spec allows for GET `path`."""
        item = build(self.item_schema(path), draft=4, formats=FORMATS)
        return st.lists(item, max_size=max_size)


def pages_of(items: list[dict[str, Any]], split: int) -> list[dict[str, Any]]:
    """The items as pages linked by a token: the first `split` items, then the rest (one page
    when either part would be empty, as a server never sends an empty page with a token)."""

    def page(collection: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
        pagination = {
            "count": len(collection),
            "next_page": f"{API}/any?page_token={token}" if token else None,
            "previous_page": None,
            "next_page_token": token,
            "previous_page_token": None,
        }
        return {"collection": collection, "pagination": pagination}

    if 0 < split < len(items):
        return [page(items[:split], "p2"), page(items[split:], None)]
    return [page(items, None)]


class PageServer:
    """An HTTP server that answers every GET with the page the test set for it last."""

    def __init__(self) -> None:
        self.pages: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                second = "page_token=p2" in self.path
                pages = server.pages
                body = json.dumps(pages[1 if second else 0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> PageServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
