"""Plain-`requests` helpers for sandbox tests (not our client, which is tested on its own)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import requests

from calendly_pipeline.sandbox import Sandbox


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(
    sb: Sandbox,
    path: str,
    params: dict | None = None,
    role: str = "owner",
    token: str | None = None,
) -> requests.Response:
    url = path if path.startswith("http") else f"{sb.base_url}{path}"
    return requests.get(url, params=params, headers=auth(token or sb.tokens[role]), timeout=30)


def ok(sb: Sandbox, path: str, params: dict | None = None, role: str = "owner") -> dict:
    response = get(sb, path, params, role)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def org_uri(sb: Sandbox) -> str:
    return ok(sb, "/users/me")["resource"]["current_organization"]


def pages(
    sb: Sandbox, path: str, params: dict, role: str = "owner", via: str = "next_page"
) -> Iterator[dict]:
    """Every page of a collection, following `next_page` or re-sending `page_token`."""
    response = ok(sb, path, params, role)
    yield response
    while response["pagination"]["next_page_token"]:
        if via == "next_page":
            response = ok(sb, response["pagination"]["next_page"], None, role)
        else:
            token = response["pagination"]["next_page_token"]
            response = ok(sb, path, {**params, "page_token": token}, role)
        yield response


def collect(
    sb: Sandbox, path: str, params: dict, role: str = "owner", via: str = "next_page"
) -> list[dict]:
    return [item for page in pages(sb, path, params, role, via) for item in page["collection"]]


def uuid_of(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def strip_base(text: str, sb: Sandbox) -> str:
    """The page with the base URL (plain or percent-encoded in `next_page`) cut out."""
    return text.replace(sb.base_url, "BASE").replace(quote(sb.base_url, safe=""), "BASE")
