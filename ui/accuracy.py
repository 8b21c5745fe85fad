"""The Admin page's forecast accuracy section: the backtest, method beside straight line per horizon."""

from __future__ import annotations

import streamlit as st

from entitlement_core import views
from ui import common


def forecast_accuracy() -> None:
    """Render the backtest of the page's data as of its moment (computed once per data and as-of)."""
    st.subheader("Forecast accuracy")
    st.caption(
        "Every term with a cap that has ended is predicted as of 30, 90 and 180 days before its end, "
        "reading nothing later, then compared with what happened: the forecast (ours) beside the straight "
        "line (trailing burn rate). Error per unit and as a share of the cap; precision and recall of "
        '"runs out before the end"; the share of outcomes inside the forecast\'s 10-90% band. '
        "The same table: `python -m entitlement_core report forecast-backtest`."
    )
    if not common.has_data():
        common.empty("No data yet: nothing to backtest.")
        return
    acc: views.ForecastAccuracy = common.view("accuracy")
    if acc.table.is_empty():
        common.empty("No term with a cap has ended yet: nothing to backtest.")
        return
    cc = st.column_config
    config = {
        "horizon_days": cc.NumberColumn("Days before end", format="%d"),
        "terms": cc.NumberColumn("Terms", format="%d"),
        "ran_out": cc.NumberColumn("Ran out", format="%d"),
        "band_coverage": cc.NumberColumn("In 10-90% band", format="%.3f"),
    }
    for measure, label in views.ACCURACY_MEASURES.items():
        config[f"{measure}_ours"] = cc.NumberColumn(f"{label}: ours", format="%.3f")
        config[f"{measure}_straight_line"] = cc.NumberColumn(f"{label}: straight line", format="%.3f")
    common.show(acc.table, key="forecast_accuracy", config=config)
    horizons = [int(h) for h in acc.table["horizon_days"].to_list()]
    if acc.better == horizons:
        st.caption("The forecast beats the straight line on error and precision at every horizon.")
    else:
        worse = ", ".join(str(h) for h in horizons if h not in acc.better)
        st.warning(
            f"At {worse} days before the end the forecast does not beat the straight line on both error "
            "and precision on this data.",
            icon=":material/warning:",
        )
