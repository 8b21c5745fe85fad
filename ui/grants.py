"""Grant balances on the Account page: what an entitlement's allotment is made of, and what is left."""

from __future__ import annotations

import polars as pl
import streamlit as st

from entitlement_core import views
from entitlement_core.usage.balances import breakage_totals
from ui import common

#: Columns of a grant table, in order.
COLUMNS = ["kind", "resource", "units", "drawn", "balance", "state", "breakage", "valid_from", "valid_to"]
_CONFIG = {"units": st.column_config.NumberColumn("Quantity", format="%.1f")}


def entitlement_grants(grants: pl.DataFrame, entitlement_id: str) -> None:
    """The grants of one entitlement: the table when there is more than its cap, and commitments in money."""
    own = grants.filter(pl.col("entitlement_id") == entitlement_id)
    only_cap = own.height == 1 and own["kind"][0] == "anchor"
    if own.is_empty() or only_cap:
        return
    st.markdown("**Grants** · drawn by priority, by default rollovers, then the cap, packs, commitments")
    common.show(own, COLUMNS, key=f"acc_grants_{entitlement_id}", config=_CONFIG)
    for row in views.commitment_balances(own).iter_rows(named=True):
        st.caption(
            f":material/payments: Commitment {row['grant_id']}: {row['drawn_amount']:,.2f} of "
            f"{row['committed_amount']:,.2f} drawn, {row['remaining_amount']:,.2f} left "
            f"(at {row['unit_rate']:,.2f} per {row['unit']})."
        )


def account_grants(grants: pl.DataFrame) -> None:
    """Every grant of the account's entitlements (all terms), newest first, with the breakage total."""
    if grants.is_empty():
        common.empty("No grant: this account's entitlements are unlimited or date-only.")
        return
    breakage = breakage_totals(grants).filter(pl.col("breakage") > 0)
    lost = ", ".join(
        f"{r['breakage']:,.1f} {r['resource'].replace('_', ' ')}" for r in breakage.iter_rows(named=True)
    )
    st.caption(f"{grants.height} grant(s), caps included. Expired unused (breakage): {lost or 'none'}.")
    common.show(
        grants.sort(["valid_from", "grant_id"], descending=[True, False]),
        ["entitlement_id", "grant_id", *COLUMNS],
        key="acc_all_grants",
        height=360,
        config=_CONFIG,
    )
