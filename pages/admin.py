"""Admin: create, edit and renew entitlements, record cases and time entries; every change audited."""

from __future__ import annotations

import polars as pl
import streamlit as st

from ui import accuracy, common, renewal_run, signin
from ui import admin_forms as forms

c = common.header("Admin", "Small changes by hand, each written to the audit log with who, when and what.")
actor = signin.admin_actor()
db = common.store()

if actor is not None:
    util = common.mart("utilization") if common.has_data() else None
    if util is None or util.is_empty():
        st.info(
            "No entitlement yet: create one below, or import data on the Data page.", icon=":material/info:"
        )
        util = pl.DataFrame(
            schema={
                "entitlement_id": pl.String,
                "account_name": pl.String,
                "usage_type": pl.String,
                "status": pl.String,
            }
        )
    labels = forms.entitlement_labels(util)
    hours = util.filter(pl.col("usage_type") == "hours").sort("entitlement_id")["entitlement_id"].to_list()
    names = ["Create entitlement", "Record case", "Record time entry", "Renew", "Run renewals", "Edit"]
    tabs = st.tabs(names)
    with tabs[0]:
        forms.create_entitlement(db, actor, c.as_of_date)
    with tabs[1]:
        forms.record_case(db, actor, labels)
    with tabs[2]:
        forms.record_time_entry(db, actor, labels, hours, c.as_of_date)
    with tabs[3]:
        forms.renew(db, actor, labels)
    with tabs[4]:
        renewal_run.renewal_run(db, actor, c)
    with tabs[5]:
        forms.edit(db, actor, labels)
    accuracy.forecast_accuracy()

st.subheader("Audit log")
forms.audit_log(db)
