"""Helpers for the Connect tests: the warehouse's content, `calendly-pipeline connect` run as a
real subprocess whose printed address a real browser opens, and the same login and consent pages
walked over plain HTTP (`authorize`) where no browser is needed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import requests

from calendly_pipeline.client.oauth_flow import Pkce, authorize_url
from calendly_pipeline.sandbox import Sandbox

CLI = (sys.executable, "-m", "calendly_pipeline.cli")


def every_table(database: Path, schemas: tuple[str, ...] = ("raw", "meta", "analytics")) -> dict:
    """Every row of every table in `schemas`, in a fixed order (`synced_at` left out when
    `schemas` is raw only, so a re-sync of the same data compares equal)."""
    content: dict[str, list[tuple[Any, ...]]] = {}
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            if schema not in schemas:
                continue
            columns = [r[0] for r in conn.execute(f'DESCRIBE "{schema}"."{table}"').fetchall()]
            drop = " EXCLUDE (synced_at)" if schemas == ("raw",) and "synced_at" in columns else ""
            content[f"{schema}.{table}"] = conn.execute(
                f'SELECT *{drop} FROM "{schema}"."{table}" ORDER BY ALL'
            ).fetchall()
    return content


def connect_env(sandbox: Sandbox, store: Path) -> dict[str, str | None]:
    """Variables for OAuth through the stored connection: the demo app, no refresh token."""
    return {
        "CALENDLY_API_TOKEN": None,
        "CALENDLY_REFRESH_TOKEN": None,
        "CALENDLY_API_BASE_URL": sandbox.base_url,
        "CALENDLY_CLIENT_ID": sandbox.oauth.client_id,
        "CALENDLY_CLIENT_SECRET": sandbox.oauth.client_secret,
        "CALENDLY_OAUTH_STORE": str(store),
    }


def cli_env(overrides: dict[str, str | None]) -> dict[str, str]:
    env = {**os.environ, **{k: v for k, v in overrides.items() if v is not None}}
    for key in [k for k, v in overrides.items() if v is None]:
        env.pop(key, None)
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@dataclass
class ConnectRun:
    """`calendly-pipeline connect --no-browser` in a subprocess, stopped at its printed URL."""

    process: subprocess.Popen[str]
    url: str
    printed: list[str]

    @classmethod
    def start(cls, env: dict[str, str]) -> ConnectRun:
        process = subprocess.Popen(
            [*CLI, "connect", "--no-browser", "--timeout", "60"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        printed: list[str] = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("http"):
                return cls(process, line.strip(), printed)
        process.wait()
        raise AssertionError("connect printed no URL:\n" + "".join(printed))

    @property
    def state(self) -> str:
        return parse_qs(urlsplit(self.url).query)["state"][0]

    def paste(self, redirect: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(redirect + "\n")
        self.process.stdin.flush()

    def finish(self) -> tuple[int, str]:
        out, _ = self.process.communicate(timeout=90)
        return self.process.returncode, "".join(self.printed) + out


def sign_in_and_decide(browser: Any, url: str, decision: str = "Allow") -> str:
    """Open the authorize URL, sign in as the preselected demo owner, click Allow or Deny;
    return the address the browser was sent back to."""
    page = browser.new_page()
    try:
        page.goto(url)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name=decision).click()
        page.wait_for_url("**/callback?**")
        return page.url
    finally:
        page.close()


REDIRECT = "http://127.0.0.1:5555/callback"


def ticket_of(page: requests.Response) -> str:
    assert page.status_code == 200, page.text
    return re.search(r'name="ticket" value="([^"]+)"', page.text).group(1)


def authorize(
    sb: Sandbox,
    pkce: Pkce,
    redirect_uri: str = REDIRECT,
    email: str = "",
    decision: str = "allow",
) -> dict[str, str]:
    """Login page -> sign in -> consent page -> the redirect's query parameters."""
    with requests.Session() as http:
        login = http.get(authorize_url(sb.base_url, sb.oauth.client_id, redirect_uri, pkce))
        owner = re.search(r'<option value="([^"]+)" selected>', login.text).group(1)
        consent = http.post(
            f"{sb.base_url}/oauth/login",
            data={"ticket": ticket_of(login), "person": owner, "email": email, "password": "x"},
        )
        done = http.post(
            f"{sb.base_url}/oauth/consent",
            data={"ticket": ticket_of(consent), "decision": decision},
            allow_redirects=False,
        )
    assert done.status_code == 302
    location = done.headers["location"]
    assert location.startswith(redirect_uri + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(
    sb: Sandbox, code: str, verifier: str, redirect_uri: str = REDIRECT
) -> requests.Response:
    return requests.post(
        f"{sb.base_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "client_id": sb.oauth.client_id,
            "client_secret": sb.oauth.client_secret,
        },
        timeout=10,
    )


def new_grant(sb: Sandbox) -> dict[str, str]:
    pkce = Pkce()
    return exchange(sb, authorize(sb, pkce)["code"], pkce.verifier).json()
