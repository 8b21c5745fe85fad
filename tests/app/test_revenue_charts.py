"""The Revenue page's charts (entitlement_core.charts.revenue), tested without Streamlit."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core import charts
from entitlement_core.charts import GRANT_STATE_COLORS, STATUS_COLORS
from entitlement_core.charts.revenue import OTHER

MAY, JUNE = dt.date(2026, 5, 1), dt.date(2026, 6, 1)


def _revenue(rows: list[tuple[str, str, dt.date, float, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "owner": pl.String,
            "month": pl.Date,
            "overage_units": pl.Float64,
            "overage_amount": pl.Float64,
        },
        orient="row",
    )


REVENUE = _revenue(
    [
        ("A1", "Olu", MAY, 2.0, 500.0),
        ("A2", "Olu", JUNE, 1.0, 250.0),
        ("A3", "Ana", JUNE, 4.0, 800.0),
        ("A4", "Kim", JUNE, 1.0, 100.0),
        ("A5", None, JUNE, 1.0, 50.0),
        ("A6", "Lee", JUNE, 900.0, None),  # a plan without an overage rate: units, no money
    ]
)


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (
            10,
            [
                (MAY, "Olu", 1, 500.0, 1),
                (JUNE, "Ana", 0, 800.0, 1),
                (JUNE, "Olu", 1, 250.0, 1),
                (JUNE, "Kim", 2, 100.0, 1),
                (JUNE, "(none)", 3, 50.0, 1),
                (JUNE, "Lee", 4, 0.0, 1),
            ],
        ),
        (
            2,
            [
                (MAY, "Olu", 1, 500.0, 1),
                (JUNE, "Ana", 0, 800.0, 1),
                (JUNE, "Olu", 1, 250.0, 1),
                (JUNE, OTHER, 2, 150.0, 3),
            ],
        ),
    ],
)
def test_monthly_overage_keeps_the_largest_groups(top: int, expected: list[tuple]) -> None:
    got = charts.monthly_overage(REVENUE, by="owner", top=top)
    assert got.select("month", "group", "group_rank", "overage_amount", "accounts").rows() == expected
    assert got["overage_amount"].sum() == REVENUE["overage_amount"].sum()  # nothing lost to "Other"


def test_overage_revenue_chart_stacks_months_by_owner() -> None:
    fig = charts.overage_revenue_chart(REVENUE, by="owner", top=2, label="Account owner")
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["Ana", "Olu", OTHER]  # largest total first, Other last
    olu = fig.data[1]
    assert list(olu.x) == [MAY, JUNE] and list(olu.y) == [500.0, 250.0]
    assert fig.data[2].marker.color == "#98A2B3"
    assert "Account owner" in olu.hovertemplate and "units over" in olu.hovertemplate
    assert fig.layout.title.text == "Overage revenue by month"
    assert fig.layout.yaxis.title.text == "Overage revenue"


@pytest.mark.parametrize(
    "revenue",
    [REVENUE.clear(), REVENUE.filter(pl.col("overage_amount").is_null())],
    ids=["no-overage", "only-unpriced"],
)
def test_overage_revenue_chart_without_priced_overage_says_so(revenue: pl.DataFrame) -> None:
    fig = charts.overage_revenue_chart(revenue)
    assert not fig.data
    assert fig.layout.annotations[0].text == "No priced overage as of this date"


def test_commitment_chart_bars_add_up_to_the_commitment() -> None:
    commitments = pl.DataFrame(
        {
            "grant_id": ["M1", "M2", "M3"],
            "entitlement_id": ["E1", "E2", "E3"],
            "account_name": ["Acme", None, "Initech"],
            "committed_amount": [1000.0, 5000.0, 200.0],
            "drawn_amount": [250.0, 0.0, 200.0],
            "remaining_amount": [750.0, 5000.0, 0.0],
        }
    )
    fig = charts.commitment_chart(commitments, top=2)
    drawn, remaining = fig.data
    assert (drawn.name, remaining.name) == ("Drawn", "Remaining")
    assert fig.layout.barmode == "stack"
    # The two largest commitments, largest at the top (last on a horizontal bar chart).
    assert list(drawn.y) == ["Acme · M1", "E2 · M2"]
    assert [d + r for d, r in zip(drawn.x, remaining.x, strict=True)] == [1000.0, 5000.0]
    assert drawn.marker.color == STATUS_COLORS["unlimited"]


def test_commitment_chart_without_commitments_says_so() -> None:
    fig = charts.commitment_chart(
        pl.DataFrame(schema={"grant_id": pl.String, "committed_amount": pl.Float64})
    )
    assert fig.layout.annotations[0].text == "No monetary commitment"


def test_grant_states_share_the_status_colours() -> None:
    expected = {
        "active": STATUS_COLORS["healthy"],
        "future": STATUS_COLORS["not_started"],
        "expired": STATUS_COLORS["expired"],
    }
    assert expected == GRANT_STATE_COLORS
    assert set(charts.GRANT_KIND_COLORS) == {"anchor", "pack", "rollover", "commitment"}
