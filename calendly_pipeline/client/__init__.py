"""Calendly API v2 client (requests + tenacity; no Dagster). See docs/architecture.md §2."""

from calendly_pipeline.client.auth import OAuthCredentials, PersonalAccessToken
from calendly_pipeline.client.client import CalendlyClient, Caller, RetryPolicy
from calendly_pipeline.client.errors import (
    AdminRequired,
    AuthError,
    BadRequest,
    CalendlyError,
    InsufficientScope,
    NotFound,
    PageTokenExpired,
    PaginationLoop,
    PermissionDenied,
    PlanFeatureUnavailable,
    RateLimitExhausted,
    ReconnectNeeded,
    ServerError,
    TransportError,
    UnusableResponse,
    redact,
)
from calendly_pipeline.client.ratelimit import RateBudget

__all__ = [
    "AdminRequired",
    "AuthError",
    "BadRequest",
    "CalendlyClient",
    "CalendlyError",
    "Caller",
    "InsufficientScope",
    "NotFound",
    "OAuthCredentials",
    "PageTokenExpired",
    "PaginationLoop",
    "PermissionDenied",
    "PersonalAccessToken",
    "PlanFeatureUnavailable",
    "RateBudget",
    "RateLimitExhausted",
    "ReconnectNeeded",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "UnusableResponse",
    "redact",
]
