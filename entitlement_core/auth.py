"""Admin sign-in without an identity provider: a password checked against a SHA-256 hash.

The app prefers OpenID Connect (Streamlit's ``st.login``) when the secrets
have an ``[auth]`` section; otherwise the admin password's SHA-256 hex digest
is set in ``ENTITLEMENTS_ADMIN_PASSWORD_SHA256`` and checked here. With
neither, the admin page is read-only.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

__all__ = ["AuthMode", "auth_mode", "check_password", "password_hash"]

AuthMode = Literal["oidc", "password", "none"]


def password_hash(password: str) -> str:
    """The SHA-256 hex digest of ``password`` (UTF-8): the value to put in the setting.

    >>> password_hash("secret")[:12]
    '2bb80d537b1d'
    """
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def check_password(password: str | None, expected_sha256: str | None) -> bool:
    """True when ``password`` hashes to ``expected_sha256`` (compared in constant time).

    An unset expected hash or an empty password never matches.
    """
    if not password or not expected_sha256:
        return False
    given = password_hash(password)
    return hmac.compare_digest(given, expected_sha256.strip().lower())


def auth_mode(*, has_oidc: bool, admin_password_sha256: str | None) -> AuthMode:
    """Which sign-in the admin page offers: OIDC first, then the password, else none."""
    if has_oidc:
        return "oidc"
    if admin_password_sha256:
        return "password"
    return "none"
