"""Sending: webhooks over HTTP(S), email over SMTP, with retries and backoff.

Each delivery gets up to ``ENTITLEMENTS_ALERTS_ATTEMPTS`` attempts in a run,
waiting 0.5 s, 1 s, 2 s... between them, each bounded by
``ENTITLEMENTS_ALERTS_TIMEOUT_SECONDS``. An answer that says trying again
will not help (HTTP 4xx other than 408/429, SMTP 5xx) is not retried within
the run. A receiver that fails every attempt is not tried again in the same
run: its other deliveries are recorded as failed unattempted, so one dead
webhook cannot stall the job. Every failure is retried at the next run.

SMTP: ``starttls`` refuses a server that does not offer STARTTLS (it never
falls back to plain text), ``tls`` connects with TLS from the start, ``none``
is for a local relay. The user name and password come from the environment
(``ENTITLEMENTS_SMTP_USERNAME``/``_PASSWORD``), else from an ``[smtp]``
section (``username``, ``password``) of Streamlit's ``secrets.toml``.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..settings import Settings
from .messages import message_id

__all__ = ["Outcome", "Sender", "smtp_credentials"]

_ROOT = Path(__file__).resolve().parents[2]
_USER_AGENT = "entitlement-analytics-alerts/1"


@dataclass(frozen=True)
class Outcome:
    """What came of one delivery in this run."""

    ok: bool
    attempts: int
    error: str | None = None
    detail: str = ""


class _Permanent(Exception):
    """A failure that retrying within this run will not fix (it is still retried next run)."""


class _Transient(Exception):
    """A failure worth another attempt (a 5xx answer, 408, 429)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to report, not to follow with the payload


def smtp_credentials(
    settings: Settings, *, secrets: list[Path] | None = None
) -> tuple[str | None, str | None]:
    """SMTP user name and password: the environment first, else ``[smtp]`` of Streamlit's secrets."""
    user = settings.smtp_username
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    if user and password:
        return user, password
    places = secrets or [Path.cwd() / ".streamlit" / "secrets.toml", _ROOT / ".streamlit" / "secrets.toml",
                         Path.home() / ".streamlit" / "secrets.toml"]  # fmt: skip
    for place in places:
        try:
            section = tomllib.loads(place.read_text(encoding="utf-8")).get("smtp", {})
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        if isinstance(section, dict) and (section.get("username") or section.get("password")):
            return user or section.get("username"), password or section.get("password")
    return user, password


def _header_safe(text: str) -> str:
    return quote(text, safe=" !#$%&'()*+,-./:;<=>?@[]^_`{|}~")


class Sender:
    """Sends deliveries (rows of the outbox), keeping one SMTP session open for the run."""

    def __init__(
        self,
        settings: Settings,
        webhooks: dict[str, str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        secrets: list[Path] | None = None,
    ) -> None:
        self.settings = settings
        self.webhooks = webhooks
        self.sleep = sleep
        self._secrets = secrets
        self._smtp: smtplib.SMTP | None = None
        self._down: dict[str, str] = {}
        self._opener = urllib.request.build_opener(_NoRedirect)

    # -- one delivery ----------------------------------------------------------------
    def send(self, delivery: dict[str, Any]) -> Outcome:
        """Send one delivery with retries; never raises for a receiver's failure."""
        circuit = self._circuit(delivery)
        if circuit in self._down:
            return Outcome(False, 0, f"not attempted: {self._down[circuit]} (earlier in this run)")
        attempts, error = 0, "not attempted"
        for attempt in range(1, self.settings.alerts_attempts + 1):
            attempts = attempt
            try:
                detail = self._send_once(delivery)
                return Outcome(True, attempts, None, detail)
            except _Permanent as exc:
                return Outcome(False, attempts, str(exc))
            except _Transient as exc:
                error = str(exc)
            except (OSError, smtplib.SMTPException, urllib.error.URLError) as exc:
                error = _describe(exc)
                self._drop_smtp()
            if attempt < self.settings.alerts_attempts:
                self.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
        self._down[circuit] = error
        return Outcome(False, attempts, error)

    def _circuit(self, delivery: dict[str, Any]) -> str:
        return "smtp" if delivery["transport"] == "email" else f"webhook {delivery['target']}"

    def _send_once(self, delivery: dict[str, Any]) -> str:
        if delivery["transport"] == "webhook":
            return self._post(delivery)
        return self._mail(delivery)

    # -- webhooks --------------------------------------------------------------------
    def _post(self, delivery: dict[str, Any]) -> str:
        url = self.webhooks.get(delivery["target"])
        if url is None:
            raise _Permanent(f"webhook {delivery['target']} is no longer configured")
        request = urllib.request.Request(
            url,
            data=delivery["body"].encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": _USER_AGENT,
                "Idempotency-Key": _header_safe(delivery["alert_key"]),
            },
        )
        try:
            with self._opener.open(request, timeout=self.settings.alerts_timeout_seconds) as response:
                response.read(65536)
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            text = exc.read(200).decode("utf-8", "replace").strip() if exc.fp else ""
            message = f"HTTP {exc.code}" + (f": {' '.join(text.split())[:200]}" if text else "")
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise _Permanent(message) from None
            raise _Transient(message) from None

    # -- email -----------------------------------------------------------------------
    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if not s.smtp_host:
            raise _Permanent("SMTP is not configured (ENTITLEMENTS_SMTP_HOST)")
        timeout = s.alerts_timeout_seconds
        context = ssl.create_default_context()
        if s.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
        try:
            smtp.ehlo()
            if s.smtp_security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        f"{s.smtp_host}:{s.smtp_port} does not offer STARTTLS (ENTITLEMENTS_SMTP_SECURITY)"
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            user, password = smtp_credentials(s, secrets=self._secrets)
            if user and password:
                smtp.login(user, password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _mail(self, delivery: dict[str, Any]) -> str:
        message = EmailMessage()
        message["Subject"] = delivery["subject"] or "Entitlement alert"
        message["From"] = self.settings.smtp_from
        message["To"] = delivery["target"]
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id(delivery["alert_key"])
        message["X-Idempotency-Key"] = _header_safe(delivery["alert_key"])
        message.set_content(delivery["body"])
        if delivery.get("body_html"):
            message.add_alternative(delivery["body_html"], subtype="html")
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _Permanent(f"{delivery['target']} refused: {_describe(exc)}") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise _Permanent(_describe(exc)) from None
            raise
        if refused:
            raise _Permanent(f"{delivery['target']} refused: {refused}")
        return "accepted by " + f"{self.settings.smtp_host}:{self.settings.smtp_port}"

    def _drop_smtp(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
        self._drop_smtp()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return f"cannot reach the webhook: {exc.reason}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"SMTP {exc.smtp_code}: {' '.join(text.split())[:200]}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
