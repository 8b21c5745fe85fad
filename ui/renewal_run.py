"""The admin page's renewal run: preview what a run would create, then create it on confirmation.

The same action as ``python -m entitlement_core renew --due-within DAYS``:
every entitlement whose term ends within the window gets its next-term
record and anchor grant, and ended terms their rollover grants
(:mod:`entitlement_core.renewals`). The preview is kept with the data stamp
it was computed on; a preview of older data (changed here or by another
process, such as a scheduled ``renew``) is dropped, and applying one twice
creates nothing: what exists already is checked in the transaction that
writes.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from entitlement_core import admin
from entitlement_core.asof import AsOf
from entitlement_core.checks import check_configuration
from entitlement_core.renewals import RenewalPlan, plan_renewals
from entitlement_core.store import Store
from ui import admin_forms as forms
from ui import common

_KEY = "rr_preview"
_ENT_COLUMNS = ["renewal_of", "entitlement_id", "account_name", "plan", "usage_type", "start_date",
                "end_date", "cap"]  # fmt: skip


def _problems(plan: RenewalPlan, c: common.Context) -> pl.DataFrame:
    """Configuration problems of the entitlements the run renews (fix them first)."""
    ids = plan.entitlements["renewal_of"].drop_nulls().implode()
    found = check_configuration(common.tables(c))
    return found.filter((pl.col("table") == "entitlements") & pl.col("record_id").is_in(ids))


def _preview(plan: RenewalPlan, days: int, as_of: AsOf, c: common.Context) -> None:
    st.markdown(
        f"**Preview** · terms ending within {days} days of {as_of.label} · "
        f"{plan.entitlements.height} renewal(s), {plan.grants.height} grant(s)"
    )
    accounts = common.tables(c).accounts.select("account_id", pl.col("name").alias("account_name"))
    ents = plan.entitlements.join(accounts.collect(), on="account_id", how="left")
    if ents.height:
        common.show(
            ents,
            _ENT_COLUMNS,
            key="rr_ents",
            height=300,
            config={
                "renewal_of": st.column_config.TextColumn("Renews"),
                "entitlement_id": st.column_config.TextColumn("New entitlement"),
            },
        )
    if plan.grants.height:
        common.show(
            plan.grants,
            ["grant_id", "entitlement_id", "kind", "resource", "quantity", "effective_from", "expires_at"],
            key="rr_grants",
            height=300,
            config={
                "effective_from": st.column_config.DatetimeColumn("Valid from", format="YYYY-MM-DD"),
                "expires_at": st.column_config.DatetimeColumn("Valid to", format="YYYY-MM-DD"),
            },
        )
    with st.expander("As text (one line per record, as the `renew` command prints them)"):
        st.code("\n".join(plan.lines()), language=None)
    problems = _problems(plan, c)
    if problems.height:
        st.warning(
            f"{problems.height} configuration problem(s) on entitlements this run renews: the renewals copy "
            "them. Consider fixing them first (Data page).",
            icon=":material/warning:",
        )
        common.show(problems, ["severity", "record_id", "column", "message"], key="rr_problems")


def renewal_run(db: Store, actor: str, c: common.Context) -> None:
    """The form: due-within days, a preview, and the confirm button that creates the records."""
    now = dt.datetime.now(dt.UTC)
    # The sidebar's as-of value, never later than now.
    as_of = c.as_of if c.as_of.latest <= now else AsOf.at(now)
    with st.form("renewal_run"):
        days = st.number_input(
            "Renew terms ending within (days)", min_value=0, max_value=730, value=90, step=1, key="rr_days"
        )
        st.caption(
            f"As of {as_of.label}: the sidebar's as-of value, never later than now. Renewals "
            "already made are skipped; rollovers of ended terms are settled. Nothing changes until you "
            "confirm."
        )
        previewed = st.form_submit_button("Preview", icon=":material/preview:")
    if previewed:
        plan = plan_renewals(common.tables(c), as_of=as_of, due_within_days=int(days))
        st.session_state[_KEY] = (c.stamp, int(days), as_of, plan)
    forms.outcome("rr")
    stored = st.session_state.get(_KEY)
    if stored is None:
        return
    stamp, days_, as_of_, plan = stored
    if st.session_state.pop("rr_confirmed", False) and stamp == c.stamp:
        st.session_state.pop(_KEY, None)
        forms.run(db, actor, admin.apply_renewal_run, plan, key="rr")
        return
    if stamp != c.stamp:
        st.session_state.pop(_KEY, None)
        st.info("The data changed since the last preview: preview the run again.", icon=":material/info:")
        return
    if plan.is_empty:
        common.empty(f"Nothing to renew: every term ending within {days_} days is renewed already.")
        return
    _preview(plan, days_, as_of_, c)
    label = f"Create {plan.entitlements.height} renewal(s) and {plan.grants.height} grant(s)"
    st.button(label, type="primary", icon=":material/autorenew:", key="rr_apply", on_click=_confirm)


def _confirm() -> None:
    # Applied at the top of the next run, before the (then stale) preview would be drawn.
    st.session_state["rr_confirmed"] = True
