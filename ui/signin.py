"""Admin sign-in: OpenID Connect through ``st.login`` when configured, else a password.

- ``.streamlit/secrets.toml`` has an ``[auth]`` section: ``st.login`` (OIDC);
- else ``ENTITLEMENTS_ADMIN_PASSWORD_HASH`` is set (or the deprecated
  ``ENTITLEMENTS_ADMIN_PASSWORD_SHA256``): a password form, checked against
  the salted hash (:mod:`entitlement_core.auth`); failed attempts make the
  next ones wait longer, in every session of the server;
- else nobody can change data from the app, and the page says how to enable it.

Every page that changes data (Admin, Data's import) asks :func:`admin_actor`
first; the sign-in is kept for the browser session.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import streamlit as st

from entitlement_core import auth
from ui import common
from ui.markdown import md

_LOG = logging.getLogger(__name__)

ENABLE_HELP = """Changes are **disabled**: no sign-in is configured, so the data is read-only here. To enable
them, either

- configure OpenID Connect in `.streamlit/secrets.toml` (an `[auth]` section with `redirect_uri`,
  `cookie_secret`, `client_id`, `client_secret` and `server_metadata_url`), or
- run `python -m entitlement_core hash-password`, set `ENTITLEMENTS_ADMIN_PASSWORD_HASH` to the hash it
  prints, and restart the app."""

DEPRECATED = (
    "The admin password is set as an unsalted SHA-256 digest (`ENTITLEMENTS_ADMIN_PASSWORD_SHA256`), "
    "which is fast to guess. Make a salted hash with `python -m entitlement_core hash-password` and set "
    "it as `ENTITLEMENTS_ADMIN_PASSWORD_HASH` instead."
)


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


def admin_actor(purpose: str = "make changes") -> str | None:
    """Who is signed in as admin (for the audit log), or None; renders the sign-in box.

    ``purpose`` completes "Sign in to ...".
    """
    section = _auth_secrets()
    stored = common.settings().admin_password
    mode = auth.auth_mode(has_oidc=section is not None, admin_password_hash=stored)
    if mode == "oidc":
        assert section is not None
        if st.user.get("is_logged_in", False):
            who = str(st.user.get("email") or st.user.get("name") or "signed-in user")
            _signed_in_bar(who, on_sign_out=st.logout)
            return who
        st.info(f"Sign in with your organisation's account to {purpose}.", icon=":material/lock:")
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
            _signed_in_bar(str(who), on_sign_out=_sign_out)
            if auth.is_deprecated(stored):
                st.caption(f":material/warning: {DEPRECATED}")
            return str(who)
        _password_form(purpose, stored)
        return None
    st.info(ENABLE_HELP, icon=":material/lock:")
    return None


def _password_form(purpose: str, stored: str | None) -> None:
    with st.form("signin", border=True, width=420):
        st.markdown(f"**Sign in to {purpose}**")
        name = st.text_input("Your name (recorded in the audit log)", key="signin_name", max_chars=80)
        password = st.text_input("Admin password", type="password", key="signin_password")
        if not st.form_submit_button("Sign in", type="primary", icon=":material/login:"):
            return
    wait = auth.THROTTLE.wait_seconds()
    if wait > 0:
        st.error(
            f"Too many failed sign-ins: try again in {math.ceil(wait)} s.", icon=":material/hourglass_top:"
        )
    elif not name.strip():
        st.error("Enter your name: every change records who made it.")
    elif auth.check_password(password, stored):
        auth.THROTTLE.succeeded()
        st.session_state["admin_actor"] = f"{' '.join(name.split())} (password)"
        st.rerun()
    else:
        delay = auth.THROTTLE.failed()
        _LOG.warning("failed admin sign-in as %r; next attempt allowed in %.0f s", name.strip()[:80], delay)
        later = f" Wait {math.ceil(delay)} s before the next attempt." if delay else ""
        st.error(f"Wrong password.{later}", icon=":material/error:")


def _signed_in_bar(who: str, *, on_sign_out: Any) -> None:
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(f":material/verified_user: Signed in as **{md(who)}**")
    right.button("Sign out", on_click=on_sign_out, icon=":material/logout:", type="tertiary")
