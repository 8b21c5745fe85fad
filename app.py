"""Entitlement Analytics: the Streamlit app's router.

Run with ``streamlit run app.py``. The database is ``Settings().db_path``
(``ENTITLEMENTS_DB_PATH`` overrides it); when the file does not exist, the
first page offers the demo or an empty start (``ENTITLEMENTS_START_WITH``).
The sidebar's as-of date and filters live in the URL's query parameters, so a
filtered view can be shared by link.
"""

from __future__ import annotations

import streamlit as st

from ui import common

st.set_page_config(
    page_title="Entitlement Analytics",
    page_icon=str(common.ROOT / "ui" / "icon.svg"),
    layout="wide",
    # Open beside the content on a wide screen, closed on a phone (it would cover the page).
    initial_sidebar_state="auto",
)
st.logo(str(common.ROOT / "ui" / "logo.svg"), size="large", icon_image=str(common.ROOT / "ui" / "icon.svg"))

PAGES = {
    "Monitor": [
        st.Page("pages/overview.py", title="Overview", icon=":material/space_dashboard:", default=True),
        st.Page("pages/utilization.py", title="Utilization", icon=":material/data_usage:"),
        st.Page("pages/sla.py", title="SLA", icon=":material/timer:"),
        st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
    ],
    "Grow": [
        st.Page("pages/upsell.py", title="Upsell", icon=":material/trending_up:"),
        st.Page("pages/renewals.py", title="Renewals", icon=":material/autorenew:"),
        st.Page("pages/revenue.py", title="Revenue", icon=":material/payments:"),
    ],
    "Support desk": [
        st.Page("pages/account.py", title="Account", icon=":material/person_search:"),
    ],
    "Manage": [
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
        st.Page("pages/admin.py", title="Admin", icon=":material/admin_panel_settings:"),
    ],
}

page = st.navigation(PAGES, expanded=True)
common.ensure_database()
common.sidebar()
page.run()
