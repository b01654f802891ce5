"""Run-level settings shown (and editable) in the Dagster UI, built from the one `Settings`."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import dagster as dg
from pydantic import Field

from calendly_pipeline import settings
from calendly_pipeline.settings import Settings, data_dir, number
from calendly_pipeline.transforms.utilization import UtilizationConfig
from calendly_pipeline.transforms.utilization_config import (
    DEFAULT_REMOVAL_ENTRY_NAMES,
    DEFAULT_REMOVAL_MEMBER_KEYS,
)


def _salt_file_value() -> str:
    """A per-installation salt kept under data/ (mode 0600) so hashes stay stable across runs."""
    path = data_dir() / ".pii_salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(16))
    return path.read_text().strip()


class SyncSettings(dg.ConfigurableResource):
    """How far each daily run re-reads, how invitee personal data is stored, seat thresholds."""

    trailing_days: int = Field(
        default=settings.TRAILING_DAYS,
        description="Days before today that every daily run re-reads to catch cancellations, "
        "no-shows and reschedules (env CALENDLY_TRAILING_DAYS); the schedule's window too.",
    )
    invitee_pii: str = Field(
        default="hash",
        description="hash (default): invitee email stored as a salted SHA-256, name dropped; "
        "keep: stored as served; drop: email and name dropped. The email domain is always kept.",
    )
    user_webhooks_every_days: int = Field(
        default=settings.USER_WEBHOOKS_EVERY_DAYS,
        description="Days between two reads of the user-scope webhook subscriptions (one request "
        "per seat); runs in between keep the stored ones. 0: every run (env "
        "CALENDLY_USER_WEBHOOKS_EVERY_DAYS).",
    )
    submissions_every_days: int = Field(
        default=settings.SUBMISSIONS_EVERY_DAYS,
        description="Days between two whole reads of the routing-form submissions; runs in "
        "between read each form's newest ones, back to `trailing_days` before the last read. "
        "0: every run reads them whole (env CALENDLY_SUBMISSIONS_EVERY_DAYS).",
    )
    idle_days: int = Field(default=60, description="Days without activity before a seat is idle.")
    grace_days: int = Field(default=30, description="New members are not idle for this many days.")
    seat_price_month: float | None = Field(
        default=None,
        description="Price per seat per month, whatever the plan (e.g. an Enterprise contract "
        "price); default: the list price of the organization's plan.",
    )
    seats_purchased: int | None = Field(
        default=None,
        description="Seats bought under contract (env CALENDLY_SEATS_PURCHASED). The API does not "
        "expose it, and a removed member's seat stays paid until someone removes it on the "
        "billing page: the dashboard costs the unassigned seats and adds them to the reclaim "
        "figure. Empty: unknown, no unassigned seats shown.",
    )
    # Plain defaults, not factories: the Launchpad scaffold shows only fields with a default.
    excluded_emails: list[str] = Field(
        default=[],
        description="Service accounts and other seats never recommended for reclaiming.",
    )
    passive_counts_as_active: bool = Field(
        default=True,
        description="Whether an invitee booking a member's link keeps the seat active (passive "
        "use). True (default): it does, and seats used only passively are flagged for review; "
        "false: only the member's own actions count (docs/tables.md).",
    )
    removal_entry_names: list[str] = Field(
        default=list(DEFAULT_REMOVAL_ENTRY_NAMES),
        description="Activity-log entries (fully_qualified_name, e.g. User.Remove) that record a "
        "member's removal; they fill seat history before the first roster snapshot (Enterprise). "
        "The API documents no value: the default is a guess, set the name your log uses; "
        "empty: none is read (docs/tables.md).",
    )
    removal_member_keys: list[str] = Field(
        default=list(DEFAULT_REMOVAL_MEMBER_KEYS),
        description="Keys of a removal entry's details (dotted for nested objects) whose value "
        "names the removed member: a user URI or an e-mail address. A guess, as above.",
    )

    email_salt: str | None = Field(
        default=None,
        description="Salt for invitee email hashes; bind with EnvVar('CALENDLY_PII_SALT'). "
        "Empty: a random salt kept in data/.pii_salt.",
    )
    invitee_requests_per_run: int = Field(
        default=settings.INVITEE_REQUESTS_PER_RUN,
        description="Invitee lists (about one request per event) of events never read (or "
        "changed) a run reads at most (env CALENDLY_INVITEE_REQUESTS_PER_RUN): the window's "
        "first, then the backlog of older events, newest first; the rest stays pending for "
        "the next runs. The trailing window's re-reads are not counted (docs/scaling.md).",
    )
    history_days: int = Field(
        default=settings.HISTORY_DAYS,
        description="Days of event history the history_backfill sensor fills in after a first "
        "sync, newest first (env CALENDLY_HISTORY_DAYS, what `sync` reads without --start).",
    )

    @classmethod
    def from_settings(cls, values: Settings) -> SyncSettings:
        """The resource with the settings' values: as configured values they are what the
        Launchpad scaffold shows. The salt is a secret, so it is bound with `EnvVar` (the UI
        shows the variable's name) and only when set (an unset one fails at run time)."""
        salt = dg.EnvVar("CALENDLY_PII_SALT") if os.environ.get("CALENDLY_PII_SALT") else None
        numbers = {f: getattr(values, f) for f in settings.WHOLE_NUMBERS if f in cls.model_fields}
        return cls(
            **numbers,
            invitee_pii=values.invitee_pii,
            seats_purchased=values.seats_purchased,
            email_salt=salt,
        )

    def pii_salt(self) -> str:
        return self.email_salt or _salt_file_value()

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Values edited in the Launchpad are checked as the run starts, before any step, with
        the bounds the environment's are checked with: one line naming the field."""
        settings.check_whole_numbers(self)
        self.validated_pii_mode()
        number("seats_purchased", self.seats_purchased, 0, minimum=0)

    def validated_pii_mode(self) -> str:
        return settings.pii_mode("invitee_pii", self.invitee_pii)

    def user_webhooks_every(self) -> timedelta:
        return timedelta(days=self.user_webhooks_every_days)

    def submissions_every(self) -> timedelta:
        return timedelta(days=self.submissions_every_days)

    def trailing(self) -> timedelta:
        return timedelta(days=self.trailing_days)

    def utilization(self) -> UtilizationConfig:
        return UtilizationConfig(
            idle_days=self.idle_days,
            grace_days=self.grace_days,
            excluded_emails=tuple(self.excluded_emails),
            seat_price_month=self.seat_price_month,
            passive_counts_as_active=self.passive_counts_as_active,
            removal_entry_names=tuple(self.removal_entry_names),
            removal_member_keys=tuple(self.removal_member_keys),
        )
