"""Admin password hashes and the sign-in throttle (entitlement_core.auth)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from entitlement_core import auth


def _pbkdf2(password: str, *, sep: str = ":") -> str:
    salt = b"0123456789abcdef"
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000)
    parts = ["pbkdf2_sha256", "1000", base64.b64encode(salt).decode(), base64.b64encode(key).decode()]
    return sep.join(parts)


SCRYPT = auth.hash_password("correct horse", n=2**10)


@pytest.mark.parametrize(
    ("password", "stored", "ok"),
    [
        ("correct horse", SCRYPT, True),
        ("correct horsE", SCRYPT, False),
        ("correct horse", _pbkdf2("correct horse"), True),
        ("correct horse", _pbkdf2("correct horse", sep="$"), True),
        ("wrong", _pbkdf2("correct horse"), False),
        ("secret", auth.password_hash("secret"), True),  # deprecated SHA-256 still works
        ("secret", auth.password_hash("secret").upper(), True),
        ("Secret", auth.password_hash("secret"), False),
        ("", auth.password_hash(""), False),
        ("secret", None, False),
        (None, SCRYPT, False),
        ("secret", "scrypt:1024:8:1:not base64:???", False),
        ("secret", "plain-text-secret", False),
    ],
)
def test_check_password(password: str | None, stored: str | None, ok: bool) -> None:
    assert auth.check_password(password, stored) is ok


def test_hashes_are_salted_and_slow() -> None:
    one, two = auth.hash_password("same"), auth.hash_password("same")
    assert one != two  # a fresh salt each time
    assert one.startswith(f"scrypt:{auth.SCRYPT_N}:{auth.SCRYPT_R}:{auth.SCRYPT_P}:")
    assert not auth.is_deprecated(one)
    assert auth.is_deprecated(auth.password_hash("same"))
    with pytest.raises(ValueError):
        auth.hash_password("")


@pytest.mark.parametrize(
    ("oidc", "stored", "mode"),
    [(True, SCRYPT, "oidc"), (False, SCRYPT, "password"), (False, None, "none"), (True, None, "oidc")],
)
def test_auth_mode(oidc: bool, stored: str | None, mode: str) -> None:
    assert auth.auth_mode(has_oidc=oidc, admin_password_hash=stored) == mode


def test_the_salted_setting_wins_over_the_deprecated_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from entitlement_core.settings import Settings

    monkeypatch.setenv("ENTITLEMENTS_ADMIN_PASSWORD_SHA256", auth.password_hash("old"))
    assert Settings().admin_password == auth.password_hash("old")
    monkeypatch.setenv("ENTITLEMENTS_ADMIN_PASSWORD_HASH", SCRYPT)
    assert Settings().admin_password == SCRYPT


def test_throttle_grows_after_the_free_failures_and_resets() -> None:
    throttle = auth.SignInThrottle(free=3, base=1.0, cap=8.0, forget_after=100.0)
    delays = [throttle.failed(now=float(i)) for i in range(7)]
    assert delays == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0]
    assert throttle.failed(now=7.0) == 8.0  # capped
    assert throttle.wait_seconds(now=9.0) == 6.0
    assert throttle.wait_seconds(now=15.0) == 0.0
    throttle.succeeded()
    assert throttle.failed(now=16.0) == 0.0
    # Failures long ago are forgotten.
    for i in range(5):
        throttle.failed(now=17.0 + i)
    assert throttle.failed(now=1000.0) == 0.0


def test_twenty_five_wrong_passwords_take_time() -> None:
    throttle = auth.SignInThrottle()
    now, waited = 0.0, 0.0
    for _ in range(25):
        wait = throttle.wait_seconds(now=now)
        now += wait
        waited += wait
        throttle.failed(now=now)
    assert waited > 30 * 60  # instead of no delay at all
