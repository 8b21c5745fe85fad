"""Invariants of the usage marts on a generated data set (a few hundred entitlements, 20k cases)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entitlement_core.basis import Basis
from entitlement_core.reports import LEAD_COLUMNS, run_report
from entitlement_core.settings import Settings
from entitlement_core.staging import Tables
from entitlement_core.usage import near_limit, utilization
from entitlement_core.usage.ledger import consumption_ledger
from entitlement_core.usage.overage import overage_listing
from entitlement_core.usage.unmatched import unmatched_cases
from entitlement_core.usage.utilization import utilization_forecast

from .factories import DEFAULT
from .generated import generate

AS_OFS = [
    dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC),
    dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
]
STATUSES = {"not_started", "expired", "unlimited", "over_cap", "exhausted", "near_limit", "healthy"}


@pytest.fixture(scope="module")
def dataset() -> Tables:
    """The generated data set, materialised once for the module."""
    return generate()


@pytest.fixture(scope="module")
def utils(dataset: Tables) -> dict[dt.datetime, pl.DataFrame]:
    """Utilization at each as-of moment of :data:`AS_OFS`."""
    return {a: utilization(dataset, as_of=a, thresholds=DEFAULT).collect() for a in AS_OFS}


@pytest.mark.parametrize("as_of", AS_OFS)
def test_one_row_per_entitlement(dataset, utils, as_of):
    util = utils[as_of]
    n = dataset.entitlements.select(pl.len()).collect().item()
    assert util.height == n
    assert util.get_column("entitlement_id").n_unique() == n
    assert (
        util.select(
            pl.sum_horizontal(pl.col("entitlement_id", "status", "consumed", "timezone").null_count())
        ).item()
        == 0
    )
    assert set(util.get_column("status").unique()) <= STATUSES


@pytest.mark.parametrize("as_of", AS_OFS)
def test_consumed_plus_remaining_is_cap(utils, as_of):
    capped = utils[as_of].filter(pl.col("cap").is_not_null())
    assert capped.height > 0
    gap = capped.select((pl.col("consumed") + pl.col("remaining") - pl.col("cap")).abs().max()).item()
    assert gap < 1e-6
    with_pct = capped.filter(pl.col("cap") > 0)
    err = with_pct.select((pl.col("pct_used") - pl.col("consumed") / pl.col("cap")).abs().max()).item()
    assert err < 1e-9


@pytest.mark.parametrize("as_of", AS_OFS)
def test_status_agrees_with_the_numbers(utils, as_of):
    u = utils[as_of]
    in_term = (pl.col("as_of_date") >= pl.col("start_date")) & (pl.col("as_of_date") <= pl.col("end_date"))
    checks = {
        "not_started": pl.col("as_of_date") < pl.col("start_date"),
        "expired": pl.col("as_of_date") > pl.col("end_date"),
        "unlimited": in_term & pl.col("cap").is_null(),
        "over_cap": in_term & (pl.col("remaining") < 0),
        "exhausted": in_term & (pl.col("remaining") == 0),
        "near_limit": in_term
        & (pl.col("remaining") > 0)
        & (
            (pl.col("pct_used") >= pl.col("near_limit_pct"))
            | (pl.col("remaining") <= pl.col("near_limit_remaining"))
        ),
    }
    for status, rule in checks.items():
        assert u.filter((pl.col("status") == status) & ~rule).height == 0, status
    # Nothing consumed before its term starts.
    assert u.filter((pl.col("status") == "not_started") & (pl.col("consumed") != 0)).height == 0


def test_consumed_never_decreases_as_the_as_of_moment_moves_forward(utils):
    frames = [
        utils[a].select("entitlement_id", pl.col("consumed").alias(str(i))) for i, a in enumerate(AS_OFS)
    ]
    wide = frames[0]
    for f in frames[1:]:
        wide = wide.join(f, on="entitlement_id")
    for i in range(len(AS_OFS) - 1):
        assert wide.filter(pl.col(str(i + 1)) < pl.col(str(i)) - 1e-9).height == 0


@pytest.mark.parametrize("as_of", AS_OFS[2:5])
def test_ledger_sums_to_consumed(dataset, utils, as_of):
    ledger = consumption_ledger(Basis(dataset, as_of=as_of))
    assert ledger.filter(pl.col("consumed_at") > as_of).height == 0
    sums = ledger.group_by("entitlement_id").agg(pl.col("quantity").sum().alias("ledger"))
    joined = (
        utils[as_of].join(sums, on="entitlement_id", how="left").with_columns(pl.col("ledger").fill_null(0.0))
    )
    assert joined.filter((pl.col("ledger") - pl.col("consumed")).abs() > 1e-6).height == 0
    # Weekly totals add up to the ledger.
    weekly = Basis(dataset, as_of=as_of).mart("weekly-consumption")
    assert weekly.get_column("consumed").sum() == pytest.approx(ledger.get_column("quantity").sum())
    assert weekly.get_column("units").sum() == ledger.height


@pytest.mark.parametrize("as_of", AS_OFS[2:5])
def test_overage_adds_up_to_consumption_beyond_cap(dataset, utils, as_of):
    over = overage_listing(Basis(dataset, as_of=as_of))
    per = over.group_by("entitlement_id").agg(pl.col("overage_quantity").sum().alias("over"))
    expected = (
        utils[as_of]
        .filter(pl.col("cap").is_not_null())
        .select("entitlement_id", (pl.col("consumed") - pl.col("cap")).clip(lower_bound=0).alias("expected"))
        .join(per, on="entitlement_id", how="left")
        .with_columns(pl.col("over").fill_null(0.0))
    )
    assert expected.filter((pl.col("over") - pl.col("expected")).abs() > 1e-6).height == 0
    assert over.filter(pl.col("overage_quantity") <= 0).height == 0


@pytest.mark.parametrize("as_of", AS_OFS[2:5])
def test_case_moments_are_in_term_out_of_term_or_not_yet(dataset, as_of):
    """Each case naming a ``cases`` entitlement is in the ledger, out of term, or has no moment yet."""
    ledger = (
        consumption_ledger(Basis(dataset, as_of=as_of)).filter(pl.col("source") == "case").select("case_id")
    )
    outside = (
        Basis(dataset, as_of=as_of)
        .mart("out-of-term-cases")
        .filter(pl.col("usage_type") != "hours")
        .select("case_id")
    )
    ents = dataset.entitlements.filter(pl.col("usage_type") != "hours").select("entitlement_id", "consume_on")
    moment = (
        pl.when(pl.col("consume_on") == "closed").then(pl.col("closed_at")).otherwise(pl.col("created_at"))
    )
    has_moment = (
        dataset.cases.join(ents, on="entitlement_id")
        .filter(moment.is_not_null() & (moment <= as_of))
        .select("case_id")
    )
    a, b, c = ledger, outside, has_moment.collect()
    assert a.height + b.height == c.height
    assert set(a.get_column("case_id")) | set(b.get_column("case_id")) == set(c.get_column("case_id"))


@pytest.mark.parametrize("as_of", AS_OFS[3:5])
def test_marts_are_subsets_of_utilization(dataset, utils, as_of):
    util = utils[as_of]
    nl = near_limit(util.lazy()).collect()
    assert set(nl.get_column("status")) <= {"over_cap", "exhausted", "near_limit"}
    assert nl.height == util.filter(pl.col("status").is_in(["over_cap", "exhausted", "near_limit"])).height
    b = Basis(dataset, as_of=as_of)
    up = b.mart("upsell")
    assert up.get_column("rank").to_list() == list(range(1, up.height + 1))
    # Every candidate ran out or is more likely than not to, on a founded projection, inside its term.
    assert up.filter(
        ~pl.col("status").is_in(["over_cap", "exhausted"]) & ~(pl.col("prob_run_out") >= 0.5)
    ).is_empty()
    assert up.get_column("is_founded").all()
    assert set(up.get_column("status")) <= {"over_cap", "exhausted", "near_limit", "healthy"}
    shortfall = up.get_column("expected_shortfall").to_list()
    assert shortfall == sorted(shortfall, reverse=True)
    # ... and every entitlement that qualifies is a candidate.
    qualifies = utilization_forecast(b).filter(
        pl.col("is_founded")
        & (
            pl.col("status").is_in(["over_cap", "exhausted"])
            | (pl.col("status").is_in(["near_limit", "healthy"]) & (pl.col("prob_run_out") >= 0.5))
        )
    )
    assert sorted(up.get_column("entitlement_id")) == sorted(qualifies.get_column("entitlement_id"))


def test_unmatched_cases_name_no_entitlement(dataset):
    as_of = AS_OFS[3]
    out = unmatched_cases(Basis(dataset, as_of=as_of))
    assert out.height > 0
    assert out.get_column("case_id").n_unique() == out.height
    orphans = dataset.cases.filter(pl.col("entitlement_id").is_null()).select("case_id").collect()
    assert set(out.get_column("case_id")) <= set(orphans.get_column("case_id"))
    accounts = dataset.entitlements.select(
        pl.col("entitlement_id").alias("likely_entitlement_id"), pl.col("account_id").alias("ent_account")
    ).collect()
    same = out.join(accounts, on="likely_entitlement_id").filter(pl.col("match_reason") == "same account")
    assert (same.get_column("account_id") == same.get_column("ent_account")).all()


@pytest.mark.parametrize(
    "name",
    ["utilization", "near-limit", "overage", "unmatched-cases", "upsell", "renewals", "reconciliation"],
)
def test_every_report_leads_with_the_utilization_columns(dataset, name):
    out = run_report(name, dataset, as_of=AS_OFS[4], settings=Settings())
    assert isinstance(out, pl.DataFrame)
    assert out.columns[: len(LEAD_COLUMNS)] == list(LEAD_COLUMNS)
    assert out.height > 0, name
