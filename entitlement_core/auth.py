"""Admin sign-in without an identity provider: a password checked against a salted, slow hash.

The app prefers OpenID Connect (Streamlit's ``st.login``) when the secrets
have an ``[auth]`` section; otherwise the admin password's hash is set in
``ENTITLEMENTS_ADMIN_PASSWORD_HASH`` and checked here. With neither, nobody
can change data from the app.

Hashes (:func:`hash_password` makes one; ``python -m entitlement_core
hash-password`` prints one):

- ``scrypt:<n>:<r>:<p>:<salt>:<key>`` (salt and key in base64; what this
  program makes: no character a shell or an env file treats specially);
- ``pbkdf2_sha256:<iterations>:<salt>:<key>`` (base64; ``$`` may separate the
  fields instead of ``:``, as Django writes them);
- a bare SHA-256 hex digest, unsalted and fast: still accepted, deprecated
  (:func:`is_deprecated`), also from the older ``ENTITLEMENTS_ADMIN_PASSWORD_SHA256``.

Failed sign-ins slow down further attempts (:class:`SignInThrottle`): after a
few, each must wait longer, in every session of the process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
import time
from typing import Literal

__all__ = [
    "THROTTLE",
    "AuthMode",
    "SignInThrottle",
    "auth_mode",
    "check_password",
    "hash_password",
    "is_deprecated",
    "password_hash",
]

AuthMode = Literal["oidc", "password", "none"]

#: scrypt cost: 2**15 x 8 x 128 bytes = 32 MiB and about 0.1 s per check.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=length
    )


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash of ``password``: the value for ``ENTITLEMENTS_ADMIN_PASSWORD_HASH``.

    >>> hash_password("secret").startswith("scrypt:32768:8:1:")
    True
    """
    if not password:
        raise ValueError("the password is empty")
    salt = os.urandom(16)
    return f"scrypt:{n}:{r}:{p}:{_b64(salt)}:{_b64(_scrypt(password, salt, n, r, p))}"


def password_hash(password: str) -> str:
    """The unsalted SHA-256 hex digest of ``password`` (the deprecated setting's format).

    >>> password_hash("secret")[:12]
    '2bb80d537b1d'
    """
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def is_deprecated(stored: str | None) -> bool:
    """True for a bare SHA-256 digest: fast to guess, no salt; replace it with :func:`hash_password`."""
    return bool(stored) and _SHA256.fullmatch(stored.strip().lower()) is not None  # type: ignore[union-attr]


def check_password(password: str | None, stored: str | None) -> bool:
    """True when ``password`` matches the stored hash (compared in constant time).

    An unset hash, an unknown format or an empty password never matches.
    """
    if not password or not stored:
        return False
    stored = stored.strip()
    parts = re.split(r"[$:]", stored)
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            key = _unb64(parts[5])
            given = _scrypt(password, _unb64(parts[4]), n, r, p, len(key))
            return hmac.compare_digest(given, key)
        if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            key = _unb64(parts[3])
            given = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(parts[2]), int(parts[1]))
            return hmac.compare_digest(given[: len(key)], key)
    except (ValueError, TypeError, MemoryError):
        return False
    if is_deprecated(stored):
        return hmac.compare_digest(password_hash(password), stored.lower())
    return False


def auth_mode(*, has_oidc: bool, admin_password_hash: str | None) -> AuthMode:
    """Which sign-in the app offers: OIDC first, then the password, else none."""
    if has_oidc:
        return "oidc"
    if admin_password_hash:
        return "password"
    return "none"


class SignInThrottle:
    """A growing delay after failed sign-ins, shared by every session of the process.

    The first ``free`` failures cost nothing; after that each failure makes
    the next attempt wait ``base * 2**k`` seconds (at most ``cap``). An
    attempt before then is refused without checking the password. A
    success, or ``forget_after`` seconds without failures, starts over.

    >>> t = SignInThrottle(free=1, base=2.0)
    >>> t.failed(now=0.0), t.failed(now=1.0), t.wait_seconds(now=2.0)
    (0.0, 2.0, 1.0)
    """

    def __init__(
        self, *, free: int = 3, base: float = 1.0, cap: float = 300.0, forget_after: float = 3600.0
    ) -> None:
        self.free, self.base, self.cap, self.forget_after = free, base, cap, forget_after
        self._lock = threading.Lock()
        self._failures = 0
        self._last = 0.0
        self._until = 0.0

    def wait_seconds(self, now: float | None = None) -> float:
        """Seconds before the next attempt may be checked (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            return max(self._until - now, 0.0)

    def failed(self, now: float | None = None) -> float:
        """Record a failed attempt; returns the delay it imposes on the next one."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            self._failures += 1
            self._last = now
            extra = self._failures - self.free
            delay = 0.0 if extra <= 0 else min(self.base * 2 ** (extra - 1), self.cap)
            self._until = now + delay
            return delay

    def succeeded(self) -> None:
        with self._lock:
            self._failures, self._until = 0, 0.0

    def _expire(self, now: float) -> None:
        if self._failures and now - self._last > self.forget_after:
            self._failures, self._until = 0, 0.0


#: The process's throttle (the app's sign-in form uses it).
THROTTLE = SignInThrottle()
