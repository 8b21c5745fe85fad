"""Admin sign-in: OpenID Connect through ``st.login`` when configured, else a password.

- ``.streamlit/secrets.toml`` has an ``[auth]`` section: ``st.login`` (OIDC);
- else ``ENTITLEMENTS_ADMIN_PASSWORD_SHA256`` is set: a password form,
  checked in constant time against that SHA-256 hex digest;
- else the admin page is read-only and says how to enable it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from entitlement_core import auth
from ui import common

ENABLE_HELP = """The admin page is **read-only**: no sign-in is configured. To enable changes, either

- configure OpenID Connect in `.streamlit/secrets.toml` (an `[auth]` section with `redirect_uri`,
  `cookie_secret`, `client_id`, `client_secret` and `server_metadata_url`), or
- set `ENTITLEMENTS_ADMIN_PASSWORD_SHA256` to the SHA-256 of an admin password, e.g.
  `python -c "import hashlib; print(hashlib.sha256(b'my password').hexdigest())"`, and restart the app."""


def _auth_secrets() -> dict[str, Any] | None:
    try:
        if "auth" in st.secrets:
            return dict(st.secrets["auth"])
    except (FileNotFoundError, KeyError, AttributeError):
        return None
    return None


def _provider(section: dict[str, Any]) -> str | None:
    """The provider to pass to ``st.login``: None for a single unnamed provider, else the first named one."""
    if "client_id" in section:
        return None
    named = [k for k, v in section.items() if isinstance(v, dict)]
    return named[0] if named else None


def _sign_out() -> None:
    st.session_state.pop("admin_actor", None)


def admin_actor() -> str | None:
    """Who is signed in as admin (for the audit log), or None (read-only); renders the sign-in box."""
    section = _auth_secrets()
    mode = auth.auth_mode(
        has_oidc=section is not None, admin_password_sha256=common.settings().admin_password_sha256
    )
    if mode == "oidc":
        assert section is not None
        if st.user.get("is_logged_in", False):
            who = str(st.user.get("email") or st.user.get("name") or "signed-in user")
            _signed_in_bar(who, on_sign_out=st.logout)
            return who
        st.info("Sign in with your organisation's account to make changes.", icon=":material/lock:")
        st.button(
            "Sign in",
            on_click=st.login,
            args=(_provider(section),) if _provider(section) else (),
            type="primary",
            icon=":material/login:",
        )
        return None
    if mode == "password":
        who = st.session_state.get("admin_actor")
        if who:
            _signed_in_bar(who, on_sign_out=_sign_out)
            return str(who)
        with st.form("signin", border=True, width=420):
            st.markdown("**Sign in to make changes**")
            name = st.text_input("Your name (recorded in the audit log)", key="signin_name")
            password = st.text_input("Admin password", type="password", key="signin_password")
            if st.form_submit_button("Sign in", type="primary", icon=":material/login:"):
                if not name.strip():
                    st.error("Enter your name: every change records who made it.")
                elif auth.check_password(password, common.settings().admin_password_sha256):
                    st.session_state["admin_actor"] = f"{name.strip()} (password)"
                    st.rerun()
                else:
                    st.error("Wrong password.", icon=":material/error:")
        return None
    st.info(ENABLE_HELP, icon=":material/lock:")
    return None


def _signed_in_bar(who: str, *, on_sign_out: Any) -> None:
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(f":material/verified_user: Signed in as **{who}**")
    right.button("Sign out", on_click=on_sign_out, icon=":material/logout:", type="tertiary")
