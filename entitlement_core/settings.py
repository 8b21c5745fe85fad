"""Settings: one validated object, read from the environment (``ENTITLEMENTS_*``).

Every setting is documented in the README ("Settings"); a test keeps the two
in step. Analytics never read settings themselves: callers pass the values
(thresholds, windows) in as arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .store import DEFAULT_DB_PATH

__all__ = ["DEFAULT_ALERT_RULES", "Settings", "Thresholds", "load_settings"]

#: The alert rules shipped with the project (README, "Alerts").
DEFAULT_ALERT_RULES = Path(__file__).resolve().parent.parent / "alerts.toml"


class Thresholds(BaseModel):
    """Near-limit thresholds (DOMAIN.md, "Status"): a plan's own values win where set."""

    model_config = ConfigDict(frozen=True)

    near_limit_pct: float = Field(0.8, ge=0, le=1)
    near_limit_remaining: float = Field(1.0, ge=0)


class Settings(BaseSettings):
    """Application settings; each field is an ``ENTITLEMENTS_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix="ENTITLEMENTS_", frozen=True, extra="ignore")

    db_path: Path = Field(DEFAULT_DB_PATH, description="The DuckDB database file.")
    near_limit_pct: float = Field(
        0.8, ge=0, le=1, description="Near limit when pct_used reaches this fraction (per plan where set)."
    )
    near_limit_remaining: float = Field(
        1.0, ge=0, description="Near limit when remaining units are at or below this (per plan where set)."
    )
    burn_window_days: int = Field(90, ge=1, description="Trailing window of the burn rate, in days.")
    renewal_window_days: int = Field(90, ge=1, description="Renewals due within this many days.")
    at_risk_fraction: float = Field(
        0.25, gt=0, le=1, description="A milestone is at risk in the last fraction of its target."
    )
    pause_share_threshold: float = Field(
        0.5,
        gt=0,
        le=1,
        description="The pause audit lists cases whose clock was stopped for more than this fraction "
        "of their business time.",
    )
    demo_cases: int = Field(
        50_000, ge=0, description="Cases in the demo database built when the app finds none."
    )
    import_max_file_mb: int = Field(
        4096, ge=1, description="Largest file an import reads, in MiB; a larger file is refused."
    )
    db_wait_seconds: float = Field(
        30.0,
        ge=0,
        description="How long the app waits for the database while another process writes to it.",
    )
    admin_password_hash: str | None = Field(
        None,
        description="Salted hash of the admin password (used when OIDC is not configured); "
        "make one with `python -m entitlement_core hash-password`.",
    )
    admin_password_sha256: str | None = Field(
        None, description="Deprecated: unsalted SHA-256 hex digest of the admin password."
    )
    # -- alerts (README, "Alerts"): the rules file, where alerts go, how they get there --
    alerts_rules: Path = Field(DEFAULT_ALERT_RULES, description="The alert rules file (TOML).")
    alerts_webhook_url: str | None = Field(
        None,
        description="The default webhook of alert rules that notify `webhook` (unset: the rules file's "
        "`routing.webhook_url`, else none).",
    )
    alerts_webhook_format: Literal["json", "slack"] | None = Field(
        None,
        description="Body of the default webhook: `json` or `slack` (unset: the rules file's, else `json`).",
    )
    alerts_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Timeout of one delivery attempt (webhook request, SMTP session)."
    )
    alerts_attempts: int = Field(
        3, ge=1, le=10, description="Delivery attempts per run before a delivery waits for the next run."
    )
    app_url: str = Field(
        "http://localhost:8501", description="The app's base URL, for links in alerts and digests."
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for alert and digest email (unset: no email)."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS, 25 plain).")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="`starttls`, `tls` (SMTPS) or `none` (a local relay only)."
    )
    smtp_username: str | None = Field(
        None, description="SMTP user name (else `[smtp]` in Streamlit secrets)."
    )
    smtp_password: SecretStr | None = Field(
        None, description="SMTP password (else `[smtp]` in Streamlit secrets)."
    )
    smtp_from: str = Field("entitlements@localhost", description="Sender address of alert and digest email.")

    @property
    def admin_password(self) -> str | None:
        """The admin password's hash: the salted setting, else the deprecated SHA-256 one."""
        return self.admin_password_hash or self.admin_password_sha256

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(near_limit_pct=self.near_limit_pct, near_limit_remaining=self.near_limit_remaining)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. ``db_path``) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
