"""Who may call the sandbox: personal access tokens, the demo OAuth app and its tokens.

Sandbox values derived from the seed (never real secrets); guarded by `world.lock`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from calendly_pipeline.sandbox.ids import US_PER_HOUR

ACCESS_TOKEN_LIFETIME_US = 2 * US_PER_HOUR


@dataclass
class Token:
    user: int
    kind: str  # "pat" | "oauth"
    expires_us: int | None = None
    revoked: bool = False


@dataclass(frozen=True)
class OAuthApp:
    """The registered OAuth application of the demo owner (sandbox values, not real secrets)."""

    client_id: str
    client_secret: str
    refresh_token: str
    authorization_code: str
    redirect_uri: str

    def __repr__(self) -> str:
        return f"OAuthApp(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"


class Credentials:
    """Access tokens (personal and OAuth), refresh tokens and the pre-issued authorization code."""

    def __init__(self, seed: int, owner: int, admin: int, user: int) -> None:
        digest = hashlib.blake2b(f"sandbox-secrets:{seed}".encode(), digest_size=32).hexdigest()
        self.pats = {
            "owner": f"sbx_pat_owner_{digest[:24]}",
            "admin": f"sbx_pat_admin_{digest[24:48]}",
            "user": f"sbx_pat_user_{digest[48:]}",
        }
        self.tokens: dict[str, Token] = {}
        for role, holder in (("owner", owner), ("admin", admin), ("user", user)):
            self.tokens[self.pats[role]] = Token(holder, "pat")
        self.oauth = OAuthApp(
            client_id=f"sbx_client_{digest[:16]}",
            client_secret=f"sbx_secret_{digest[16:48]}",
            refresh_token=f"sbx_refresh_{digest[32:56]}",
            authorization_code=f"sbx_code_{digest[8:32]}",
            redirect_uri="http://localhost/callback",
        )
        self.refresh_tokens: dict[str, int] = {self.oauth.refresh_token: owner}
        self.auth_codes: dict[str, int] = {self.oauth.authorization_code: owner}

    def issue_access_token(self, user: int, now_us: int) -> tuple[str, str]:
        """A new OAuth (access, refresh) pair for `user`; the access token lives two hours."""
        access = "sbx_oauth_" + secrets.token_urlsafe(24)
        refresh = "sbx_refresh_" + secrets.token_urlsafe(24)
        self.tokens[access] = Token(user, "oauth", now_us + ACCESS_TOKEN_LIFETIME_US)
        self.refresh_tokens[refresh] = user
        return access, refresh

    def revoke_token(self, token: str) -> None:
        if token in self.tokens:
            self.tokens[token].revoked = True
        elif token in self.refresh_tokens:
            del self.refresh_tokens[token]
        else:
            raise ValueError("unknown token")

    def expire_access_tokens(self, now_us: int) -> int:
        expired = 0
        for t in self.tokens.values():
            if t.kind == "oauth" and (t.expires_us is None or t.expires_us > now_us):
                t.expires_us = now_us
                expired += 1
        return expired

    def revoke_grant(self, user: int) -> int:
        """Every OAuth access and refresh token of `user` stops working; returns how many."""
        access = [
            t
            for t in self.tokens.values()
            if t.kind == "oauth" and t.user == user and not t.revoked
        ]
        for t in access:
            t.revoked = True
        refresh = [r for r, owner in self.refresh_tokens.items() if owner == user]
        for r in refresh:
            del self.refresh_tokens[r]
        return len(access) + len(refresh)

    def expire_refresh_tokens(self) -> int:
        lapsed = len(self.refresh_tokens)
        self.refresh_tokens.clear()
        return lapsed
