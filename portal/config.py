"""Settings read from the environment (docs/design.md §6); no secret has a production default."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class TemporalSettings:
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    task_queue: str = "billing-requests"
    tls: bool = False
    tls_server_root_ca_path: str = ""
    tls_client_cert_path: str = ""
    tls_client_key_path: str = ""
    api_key: str = ""
    ui_url: str = ""
    rpc_timeout_seconds: float = 5.0


@dataclass(frozen=True)
class TimerSettings:
    """Durations of a request's durable timers, in seconds."""

    review_sla: int = 8 * 3600
    escalation_sla: int = 24 * 3600
    info_timeout: int = 14 * 24 * 3600
    quote_reminder: int = 7 * 24 * 3600  # before a quote's expiry
    invitation: int = 72 * 3600  # a new billing contact's set-password link
    apply_attempts: int = 5  # tries of an approved change before it is `failed`
    grace_days: int = 14  # a declined renewal: days before the subscription expires
    webhook_retry: int = 10  # a webhook delivery's first retry; each next one waits twice as long


@dataclass(frozen=True)
class SmtpSettings:
    """Mail delivery; with no host, messages stay in the outbox (a page in development)."""

    host: str = ""
    port: int = 25
    security: str = "none"  # "none", "starttls" or "ssl"
    username: str = ""
    password: str = ""
    sender: str = "billing@logmein.example"
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class VendorSettings:
    """What LogMeIn's W-9 and vendor forms state about LogMeIn USA, Inc."""

    name: str = "LogMeIn USA, Inc."
    tin: str = "00-0000000"
    address: str = "333 Summer Street, Boston, MA 02210, USA"
    remit_to: str = "LogMeIn USA, Inc., Accounts Receivable, 333 Summer Street, Boston, MA 02210"
    email: str = "corporate-accounts@logmein.example"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    temporal: TemporalSettings = field(default_factory=TemporalSettings)
    timers: TimerSettings = field(default_factory=TimerSettings)
    development: bool = False
    base_url: str = "http://127.0.0.1:5000"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    vendor: VendorSettings = field(default_factory=VendorSettings)
    quote_valid_days: int = 30
    # Reverse proxies in front of the web app whose X-Forwarded-For/-Proto are to be believed.
    trusted_proxies: int = 0
    # Business time minus real time (`portal.clock`): always zero outside development.
    clock_shift: timedelta = timedelta(0)
    # The bearer token Prometheus sends for /metrics; without one /metrics is not served.
    metrics_token: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("PORTAL_DATA_DIR", "instance")).resolve()
        database_url = _env("PORTAL_DATABASE_URL") or f"sqlite:///{data_dir / 'portal.db'}"
        development = _env("PORTAL_ENV", "development") == "development"
        secret_key = _env("PORTAL_SECRET_KEY")
        if not secret_key:
            if not development:
                raise RuntimeError("PORTAL_SECRET_KEY must be set outside development")
            # A per-process key in development: sessions simply end on restart.
            secret_key = secrets.token_hex(32)
        temporal = TemporalSettings(
            address=_env("PORTAL_TEMPORAL_ADDRESS", "127.0.0.1:7233"),
            namespace=_env("PORTAL_TEMPORAL_NAMESPACE", "default"),
            task_queue=_env("PORTAL_TEMPORAL_TASK_QUEUE", "billing-requests"),
            tls=_env("PORTAL_TEMPORAL_TLS") in {"1", "true", "yes"},
            tls_server_root_ca_path=_env("PORTAL_TEMPORAL_TLS_CA"),
            tls_client_cert_path=_env("PORTAL_TEMPORAL_TLS_CERT"),
            tls_client_key_path=_env("PORTAL_TEMPORAL_TLS_KEY"),
            api_key=_env("PORTAL_TEMPORAL_API_KEY"),
            ui_url=_env("PORTAL_TEMPORAL_UI_URL"),
        )
        timers = TimerSettings(
            review_sla=_env_int("PORTAL_REVIEW_SLA_SECONDS", TimerSettings.review_sla),
            escalation_sla=_env_int("PORTAL_ESCALATION_SLA_SECONDS", TimerSettings.escalation_sla),
            info_timeout=_env_int("PORTAL_INFO_TIMEOUT_SECONDS", TimerSettings.info_timeout),
            quote_reminder=_env_int("PORTAL_QUOTE_REMINDER_SECONDS", TimerSettings.quote_reminder),
            invitation=_env_int("PORTAL_INVITATION_SECONDS", TimerSettings.invitation),
            apply_attempts=_env_int("PORTAL_APPLY_ATTEMPTS", TimerSettings.apply_attempts),
            grace_days=_env_int("PORTAL_GRACE_DAYS", TimerSettings.grace_days),
        )
        smtp = SmtpSettings(
            host=_env("PORTAL_SMTP_HOST"),
            port=_env_int("PORTAL_SMTP_PORT", 25),
            security=_env("PORTAL_SMTP_SECURITY", "none"),
            username=_env("PORTAL_SMTP_USERNAME"),
            password=_env("PORTAL_SMTP_PASSWORD"),
            sender=_env("PORTAL_SMTP_SENDER", SmtpSettings.sender),
        )
        vendor = VendorSettings(
            name=_env("PORTAL_VENDOR_NAME", VendorSettings.name),
            tin=_env("PORTAL_VENDOR_TIN", VendorSettings.tin),
            address=_env("PORTAL_VENDOR_ADDRESS", VendorSettings.address),
            remit_to=_env("PORTAL_VENDOR_REMIT_TO", VendorSettings.remit_to),
            email=_env("PORTAL_VENDOR_EMAIL", VendorSettings.email),
        )
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret_key,
            temporal=temporal,
            timers=timers,
            development=development,
            base_url=_env("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            smtp=smtp,
            vendor=vendor,
            quote_valid_days=_env_int("PORTAL_QUOTE_VALID_DAYS", 30),
            trusted_proxies=_env_int("PORTAL_TRUSTED_PROXIES", 0),
            clock_shift=_clock_shift(development),
            metrics_token=_env("PORTAL_METRICS_TOKEN"),
        )


def _clock_shift(development: bool) -> timedelta:
    days = _env_int("PORTAL_CLOCK_SHIFT_DAYS", 0)
    if days and not development:
        raise RuntimeError("PORTAL_CLOCK_SHIFT_DAYS may only be set in development")
    return timedelta(days=days)
