"""Credentials: a personal access token, or OAuth with single-use, rotating refresh tokens.

Calendly refresh tokens work once (REFERENCE.md §2): the new one must be on disk before anything
else happens, or the next run is locked out. The token file is written atomically with mode 0600
under an exclusive `fcntl` lock, and a run that waited for the lock re-reads the file and adopts
the token the other run just obtained instead of spending a refresh token that is already used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from calendly_pipeline.client.errors import AuthError, ReconnectNeeded, redact

DEFAULT_OAUTH_STORE = Path("data/.calendly_oauth.json")
# The store's non-secret keys: who connected (`connect`) and since when a refresh is refused.
STATUS_KEYS = ("connection", "reconnect_needed_since")
# Refresh a stored access token this long before Calendly says it expires.
EXPIRY_MARGIN_SECONDS = 120.0

# POSTs a form to the OAuth token endpoint (the client knows where it is).
Post = Callable[[dict[str, str]], requests.Response]


def fingerprint(secret: str) -> str:
    """A short, one-way tag that tells tokens apart without storing or logging them."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class PersonalAccessToken:
    """A personal access token (Integrations → API & Webhooks). It cannot be refreshed."""

    def __init__(self, token: str) -> None:
        if not token or not token.strip():
            raise AuthError("", "", None, "missing")
        self._token = token.strip()

    def __repr__(self) -> str:
        return "PersonalAccessToken(token=<redacted>)"

    def secrets(self) -> tuple[str, ...]:
        """The token, so server text that echoes it can be redacted."""
        return (self._token,)

    def access_token(self, post: Post) -> str:
        return self._token

    def refresh(self, stale: str, post: Post) -> bool:
        return False


class OAuthCredentials:
    """The OAuth trio plus where the rotated refresh token is kept (default under `data/`).

    `refresh_token=None` means the store is the source: `calendly-pipeline connect` wrote it,
    and the client secret may be empty (a public app authorized with PKCE).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str | None,
        store_path: Path | str = DEFAULT_OAUTH_STORE,
    ) -> None:
        required = [("client_id", client_id)]
        if refresh_token is not None:
            required += [("client_secret", client_secret), ("refresh_token", refresh_token)]
        missing = [name for name, value in required if not value or not value.strip()]
        if missing:
            raise ValueError(f"OAuth credentials incomplete: {', '.join(missing)} is empty")
        self.client_id = client_id.strip()
        self._client_secret = (client_secret or "").strip()
        self._seed_refresh_token = refresh_token.strip() if refresh_token is not None else None
        self.store_path = Path(store_path)
        self._lock = threading.Lock()
        self._access: str | None = None
        self._refresh: str = self._seed_refresh_token or ""
        self._known: set[str] = {s for s in (self._client_secret, self._refresh) if s}

    def __repr__(self) -> str:
        return (
            f"OAuthCredentials(client_id={self.client_id!r}, client_secret=<redacted>, "
            f"refresh_token=<redacted>, store_path={str(self.store_path)!r})"
        )

    def secrets(self) -> tuple[str, ...]:
        """Every secret this object has held, rotated ones included (for leak checks)."""
        return tuple(self._known)

    def access_token(self, post: Post) -> str:
        with self._lock:
            if self._access is None:
                self._obtain(stale=None, post=post)
            assert self._access is not None
            return self._access

    def refresh(self, stale: str, post: Post) -> bool:
        """Get a new access token unless another thread or process already has."""
        with self._lock:
            if self._access is not None and self._access != stale:
                return True
            self._obtain(stale=stale, post=post)
            return True

    # -- the token file -------------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.store_path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.store_path.with_name(self.store_path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read_store(self) -> dict[str, Any] | None:
        """The stored state if it belongs to these credentials (same app, same seed token)."""
        try:
            state = json.loads(self.store_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(state, dict):
            return None
        if state.get("client_id") != self.client_id:
            return None
        # A different refresh token in the environment means a human reconnected: it wins.
        seed = self._seed_refresh_token
        if seed is not None and state.get("seed") != fingerprint(seed):
            return None
        return state

    def connection(self) -> dict[str, Any]:
        """Who connected and when, and whether a refresh was refused since (never a token)."""
        state = self._read_store() or {}
        return {k: v for k, v in state.items() if k in STATUS_KEYS}

    def save_grant(
        self, access: str, refresh: str, expires_in: float, connection: dict[str, Any]
    ) -> None:
        """Store a new authorization (`calendly-pipeline connect`), replacing any earlier one."""
        with self._lock, self._file_lock():
            self._write_store(
                {
                    "client_id": self.client_id,
                    "seed": fingerprint(refresh),
                    "refresh_token": refresh,
                    "access_token": access,
                    "expires_at": time.time() + expires_in,
                    "updated_at": datetime.now(UTC).isoformat(),
                    "connection": connection,
                }
            )
            self._adopt(access, refresh)

    def stored_tokens(self) -> tuple[str, ...]:
        """The stored refresh and access tokens, for revoking them (`disconnect`)."""
        state = self._read_store() or {}
        return tuple(state[k] for k in ("refresh_token", "access_token") if state.get(k))

    def _write_store(self, state: dict[str, Any]) -> None:
        tmp = self.store_path.with_name(f"{self.store_path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.store_path)

    def _obtain(self, stale: str | None, post: Post) -> None:
        with self._file_lock():
            state = self._read_store()
            if state:
                stored_access = state.get("access_token")
                fresh = float(state.get("expires_at", 0)) - EXPIRY_MARGIN_SECONDS > time.time()
                if stored_access and stored_access != stale and fresh:
                    self._adopt(stored_access, state["refresh_token"])
                    return
                self._refresh = state.get("refresh_token") or self._refresh
            if not self._refresh:
                raise ReconnectNeeded("", "", None, "no connection stored")
            self._known.add(self._refresh)
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self._refresh,
                "client_id": self.client_id,
            }
            if self._client_secret:
                form["client_secret"] = self._client_secret
            response = post(form)
            if response.status_code != 200:
                refused = ReconnectNeeded(
                    "POST",
                    "/oauth/token",
                    response.status_code,
                    redact(_reason(response), self.secrets()),
                )
                if state:  # remembered, so `check` and the dashboard can say since when
                    since = state.get("reconnect_needed_since") or datetime.now(UTC).isoformat()
                    self._write_store({**state, "reconnect_needed_since": since})
                raise refused
            try:
                body = response.json()
                access, rotated = body["access_token"], body.get("refresh_token") or self._refresh
                expires_in = float(body.get("expires_in", 7200))
            except (ValueError, KeyError, TypeError):
                raise ReconnectNeeded(
                    "POST", "/oauth/token", response.status_code, "unreadable token response"
                ) from None
            kept = {k: v for k, v in (state or {}).items() if k != "reconnect_needed_since"}
            self._write_store(
                {
                    **kept,
                    "client_id": self.client_id,
                    "seed": kept.get("seed") or fingerprint(self._seed_refresh_token or rotated),
                    "refresh_token": rotated,
                    "access_token": access,
                    "expires_at": time.time() + expires_in,
                    "updated_at": datetime.now(UTC).isoformat(),
                }
            )
            self._adopt(access, rotated)

    def _adopt(self, access: str, refresh: str) -> None:
        self._access = access
        self._refresh = refresh
        self._known.update((access, refresh))


def _reason(response: requests.Response) -> str:
    """The OAuth error code only: token endpoint bodies are never echoed whole."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = body.get("error") if isinstance(body, dict) else None
    return f"{code}, HTTP {response.status_code}" if code else f"HTTP {response.status_code}"


Credentials = PersonalAccessToken | OAuthCredentials
