"""Usage management in the demo: resources, packs, commitments, API-call metering and balances.

The generator's promises are checked from the stored tables with plain
Polars; balances go through the usage module (``balances``), whose
invariant ``consumed + remaining = granted`` must hold on the demo too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.basis import Basis
from entitlement_core.checks import check_configuration
from entitlement_core.demo import build_demo
from entitlement_core.renewals import plan_renewals
from entitlement_core.schema import TABLES
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import Store
from entitlement_core.usage.balances import grant_balances, key_balances


def balances(tables: Tables, *, as_of: dt.datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every grant's and every (entitlement, resource)'s balances, in the resource's unit."""
    b = Basis(tables, as_of=as_of)
    return grant_balances(b), key_balances(b)


TODAY = dt.date(2026, 5, 14)
END_OF_TODAY = dt.datetime(2026, 5, 14, 23, 59, 59, 999_999, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    """A 5,000-case demo as of 2026-05-14 (module scope: built once, read by many tests)."""
    with Store(":memory:") as s:
        build_demo(s, cases=5_000, seed=7, today=TODAY)
        yield s


@pytest.fixture(scope="module")
def t(store: Store) -> dict[str, pl.DataFrame]:
    """Every native table of the demo, whole."""
    return {name: store.table(name) for name in TABLES}


@pytest.fixture(scope="module")
def tables(store: Store) -> Tables:
    """The demo as a typed :class:`Tables` bundle, materialised once."""
    return load_tables(store).collect_all()


def _local(frame: pl.DataFrame, moment: str, out: str) -> pl.DataFrame:
    """Add ``out``: ``moment`` as a local calendar day in each row's ``timezone`` (DOMAIN.md rule 5)."""
    parts = [
        part.with_columns(pl.col(moment).dt.convert_time_zone(zone).dt.date().alias(out))
        for (zone,), part in frame.partition_by("timezone", as_dict=True).items()
    ]
    return pl.concat(parts)


def _with_terms(t: dict[str, pl.DataFrame], frame: pl.DataFrame) -> pl.DataFrame:
    """Join each row's entitlement: account, usage type, plan, cap, term dates and time zone."""
    zones = t["business_hours"].select("business_hours_id", "timezone")
    ents = (
        t["entitlements"]
        .join(zones, on="business_hours_id", how="left")
        .select(
            "entitlement_id",
            pl.col("account_id").alias("ent_account_id"),
            "usage_type",
            "plan",
            "cap",
            "start_date",
            "end_date",
            pl.col("timezone").fill_null("UTC"),
        )
    )
    return frame.join(ents, on="entitlement_id", how="left")


def _is_current() -> pl.Expr:
    return (pl.col("start_date") <= TODAY) & (pl.col("end_date") >= TODAY)


# -- resources and plans --------------------------------------------------------


def test_usage_resources_name_their_units(t: dict[str, pl.DataFrame]) -> None:
    expected = pl.DataFrame(
        {
            "resource": ["api_calls", "cases", "hours", "usd"],
            "unit": ["call", "case", "hour", "USD"],
        }
    )
    assert_frame_equal(t["usage_resources"].select("resource", "unit").sort("resource"), expected)


@pytest.mark.parametrize(
    ("plan", "rollover_pct", "rollover_max"),
    [("Hours 20", 0.25, 5.0), ("Hours 100", 0.25, 20.0), ("Standard", None, None), ("Pro", None, None)],
)
def test_hour_banks_roll_a_quarter_over_up_to_a_maximum(
    t: dict[str, pl.DataFrame], plan: str, rollover_pct: float | None, rollover_max: float | None
) -> None:
    row = t["plans"].filter(pl.col("plan") == plan).row(0, named=True)
    assert (row["rollover_pct"], row["rollover_max"]) == (rollover_pct, rollover_max)


# -- grants ---------------------------------------------------------------------


def test_grants_are_packs_commitments_and_api_call_anchors(t: dict[str, pl.DataFrame]) -> None:
    grants = t["grants"]
    assert dict(grants.group_by("kind").agg(pl.col("resource").unique().sort()).iter_rows()) == {
        "anchor": ["api_calls"],  # cap anchors stay implicit
        "pack": ["cases", "hours"],
        "commitment": ["cases", "hours"],
    }  # no rollover: the renewal run creates those
    assert grants["source_grant_id"].null_count() == grants.height


def test_packs_top_up_about_8pct_of_current_capped_terms(t: dict[str, pl.DataFrame]) -> None:
    packs = _with_terms(t, t["grants"].filter(pl.col("kind") == "pack"))
    capped_current = t["entitlements"].filter(_is_current(), pl.col("cap").is_not_null())
    assert 0.05 <= packs.height / capped_current.height <= 0.12
    assert packs.filter(_is_current()).height == packs.height == packs["entitlement_id"].n_unique()
    assert (packs["resource"] == packs["usage_type"]).all()
    units = packs.select(pl.col("resource").replace_strict({"cases": 5.0, "hours": 10.0}))
    assert (packs["quantity"] == units.to_series()).all()
    # bought mid-term: after the term's first day, before the end of today
    bought = _local(packs, "effective_from", "bought_date")
    assert (bought["bought_date"] > bought["start_date"]).all()
    assert packs["effective_from"].max() <= END_OF_TODAY
    # a few are drawn before the anchor, the others by the default order
    assert set(packs["priority"].to_list()) == {None, 15}


def test_commitments_are_money_drawn_at_the_plans_overage_rate(t: dict[str, pl.DataFrame]) -> None:
    commitments = _with_terms(t, t["grants"].filter(pl.col("kind") == "commitment")).join(
        t["plans"].select("plan", "overage_rate"), on="plan"
    )
    assert commitments.height >= 1
    assert (commitments["resource"] == commitments["usage_type"]).all()
    assert (commitments["unit_rate"] == commitments["overage_rate"]).all()
    assert set(commitments["quantity"]) <= {5_000.0, 10_000.0}


def test_grants_are_valid_inside_their_entitlements_term(t: dict[str, pl.DataFrame]) -> None:
    grants = _with_terms(t, t["grants"]).with_columns(
        last_moment=pl.col("expires_at") - dt.timedelta(microseconds=1)
    )
    local = _local(_local(grants, "effective_from", "from_date"), "last_moment", "last_date")
    assert (local["from_date"] >= local["start_date"]).all()
    assert (local["last_date"] == local["end_date"]).all()  # expires with the term
    whole_term = local.filter(pl.col("kind") != "pack")
    assert (whole_term["from_date"] == whole_term["start_date"]).all()  # from the term's local midnight
    before = _local(
        whole_term.with_columns(pl.col("effective_from") - dt.timedelta(microseconds=1)),
        "effective_from",
        "d",
    )
    assert (before["d"] < before["start_date"]).all()


# -- metered API calls ----------------------------------------------------------


def test_api_calls_are_metered_on_enterprise_terms_with_an_anchor(t: dict[str, pl.DataFrame]) -> None:
    events = _with_terms(t, t["usage_events"])
    anchored = t["grants"].filter(pl.col("resource") == "api_calls")
    assert events.height > 0 and set(events["resource"]) == {"api_calls"}
    assert set(events["plan"]) == {"Enterprise"}
    assert (events["account_id"] == events["ent_account_id"]).all()
    assert set(events["entitlement_id"]) <= set(anchored["entitlement_id"])
    assert (anchored["quantity"] == 100_000).all()
    enterprise = t["accounts"].filter(pl.col("tier") == "Enterprise")
    assert 0.2 <= events["account_id"].n_unique() / enterprise.height <= 0.6


def test_api_call_events_fall_inside_the_term_and_not_after_today(t: dict[str, pl.DataFrame]) -> None:
    events = _local(_with_terms(t, t["usage_events"]), "occurred_at", "day")
    assert events.filter(~pl.col("day").is_between("start_date", "end_date")).height == 0
    assert events["occurred_at"].max() <= END_OF_TODAY
    assert (events["quantity"] >= 1).all()


def test_api_calls_come_a_few_times_a_week(t: dict[str, pl.DataFrame]) -> None:
    events = _with_terms(t, t["usage_events"])
    per_term = events.group_by("entitlement_id").agg(
        pl.len().alias("events"),
        ((pl.min_horizontal(pl.col("end_date").first(), pl.lit(TODAY)) - pl.col("start_date").first())
        .dt.total_days() + 1).alias("days"),
    )  # fmt: skip
    weekly = per_term.filter(pl.col("days") >= 28).select(pl.col("events") / pl.col("days") * 7).to_series()
    assert weekly.len() > 0 and weekly.min() >= 1.5 and weekly.max() <= 4.5


# -- balances -------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of",
    [
        END_OF_TODAY,
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2025, 7, 1, 12, tzinfo=dt.UTC),
    ],
)
def test_consumed_plus_remaining_is_granted(tables: Tables, as_of: dt.datetime) -> None:
    per_grant, per_ent = balances(tables, as_of=as_of)
    gap = per_ent.select((pl.col("consumed") + pl.col("remaining") - pl.col("granted")).abs().max()).item()
    assert per_ent.height > 0 and gap < 1e-6
    assert per_ent.select("entitlement_id", "resource").is_duplicated().sum() == 0
    stored = set(tables.grants.select("grant_id").collect().to_series())
    assert stored <= set(per_grant["grant_id"])


def test_a_pack_turns_an_over_cap_entitlement_healthy(t: dict[str, pl.DataFrame], tables: Tables) -> None:
    _, per_ent = balances(tables, as_of=END_OF_TODAY)
    packs = t["grants"].filter(pl.col("kind") == "pack").select("entitlement_id", "resource")
    topped = per_ent.join(packs, on=["entitlement_id", "resource"]).join(
        t["entitlements"].select("entitlement_id", "cap"), on="entitlement_id"
    )
    rescued = topped.filter(pl.col("consumed") > pl.col("cap"), pl.col("remaining") > 0)
    assert rescued.height >= 1
    # and the rest of the picture: some packs on exhausted terms, some still over after the pack
    assert topped.filter(pl.col("consumed") >= pl.col("cap")).height >= 3


def test_commitments_are_drawn_where_the_allotment_ran_out(tables: Tables) -> None:
    per_grant, _ = balances(tables, as_of=END_OF_TODAY)
    commitments = per_grant.filter(pl.col("kind") == "commitment")
    assert commitments.filter(pl.col("drawn") > 0).height >= 1
    covers = commitments["quantity"] / commitments["unit_rate"]
    assert ((commitments["units"] - covers).abs() < 1e-6).all()  # exact to the sixth decimal


def test_api_call_balances_show_headroom_overage_and_breakage(tables: Tables) -> None:
    _, per_ent = balances(tables, as_of=END_OF_TODAY)
    calls = per_ent.filter(pl.col("resource") == "api_calls")
    assert calls.filter(pl.col("remaining") > 0).height >= 1
    assert calls.filter(pl.col("overage") > 0).height >= 1
    assert calls.filter(pl.col("breakage") > 0).height >= 1  # past terms with calls left unused


# -- the rest of the product on the demo ----------------------------------------


def test_configuration_validator_finds_no_errors(tables: Tables) -> None:
    found = check_configuration(tables)
    assert found.filter(pl.col("severity") == "error").height == 0, found.head(5).to_dicts()


def test_renewal_run_adds_rollovers_within_the_plan_maximum(
    t: dict[str, pl.DataFrame], tables: Tables
) -> None:
    plan = plan_renewals(tables, as_of=END_OF_TODAY, due_within_days=30)
    rollovers = _with_terms(t, plan.grants.filter(pl.col("kind") == "rollover")).join(
        t["plans"].select("plan", "rollover_max"), on="plan"
    )
    assert rollovers.height > 0
    assert (rollovers["quantity"] <= rollovers["rollover_max"]).all()
    assert not set(plan.grants["grant_id"]) & set(t["grants"]["grant_id"])
