"""The demo generator: deterministic, chunk-independent, realistic and schema-true.

Statuses are recomputed here with plain Polars from DOMAIN.md ("Consumption
rules", "Status"), independently of the usage module, so the demo is known
to exercise every status whatever that module does.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entitlement_core.demo import DemoOptions, build_demo, generate_demo
from entitlement_core.demo.calendars import ZONES, holidays_frame, utc_offsets
from entitlement_core.demo.world import n_accounts
from entitlement_core.schema import TABLES
from entitlement_core.staging import polars_schema
from entitlement_core.store import Store

TODAY = dt.date(2026, 5, 14)
END_OF_TODAY = dt.datetime(2026, 5, 14, 23, 59, 59, 999_999, tzinfo=dt.UTC)
SMALL = 5_000


def _snapshot(store: Store) -> dict[str, pl.DataFrame]:
    """Every native table sorted by its key."""
    return {name: store.table(name).sort(list(spec.key), nulls_last=True) for name, spec in TABLES.items()}


@pytest.fixture(scope="module")
def demo() -> dict[str, pl.DataFrame]:
    """A 5,000-case demo as of 2026-05-14 (module scope: built once, read by many tests)."""
    with Store(":memory:") as store:
        build_demo(store, cases=SMALL, seed=7, today=TODAY)
        return _snapshot(store)


def _local_date(frame: pl.DataFrame, moment: str, zone_col: str = "timezone") -> pl.DataFrame:
    """Add ``local_date``: ``moment`` as a calendar day in each row's time zone (DOMAIN rule 5)."""
    parts = [
        part.with_columns(local_date=pl.col(moment).dt.convert_time_zone(zone).dt.date())
        for (zone,), part in frame.partition_by(zone_col, as_dict=True).items()
    ]
    return pl.concat(parts) if parts else frame.with_columns(local_date=pl.lit(None, pl.Date))


def _statuses(t: dict[str, pl.DataFrame], as_of: dt.datetime) -> pl.DataFrame:
    """Consumed, remaining and status per entitlement as of a moment, straight from DOMAIN.md."""
    zones = t["business_hours"].select("business_hours_id", "timezone")
    ents = (
        t["entitlements"]
        .join(zones, on="business_hours_id", how="left")
        .with_columns(pl.col("timezone").fill_null("UTC"))
    )
    named = t["cases"].join(
        ents.select("entitlement_id", "consume_on", "start_date", "end_date", "timezone"), on="entitlement_id"
    )
    named = named.with_columns(
        moment=pl.when(pl.col("consume_on") == "closed").then("closed_at").otherwise("created_at")
    ).filter(pl.col("moment") <= as_of)
    cases_used = (
        _local_date(named, "moment")
        .filter(pl.col("local_date").is_between("start_date", "end_date"))
        .group_by("entitlement_id")
        .agg(cases_used=pl.len().cast(pl.Float64))
    )
    hours_used = (
        t["time_entries"]
        .join(t["cases"].select("case_id", "entitlement_id"), on="case_id")
        .join(ents.select("entitlement_id", "start_date", "end_date"), on="entitlement_id")
        .filter(
            pl.col("entry_date").is_between("start_date", "end_date"), pl.col("entry_date") <= as_of.date()
        )
        .group_by("entitlement_id")
        .agg(hours_used=pl.col("minutes").sum() / 60)
    )
    plans = t["plans"].select("plan", "near_limit_pct", "near_limit_remaining")
    day = pl.lit(as_of.date())
    out = (
        ents.join(cases_used, on="entitlement_id", how="left")
        .join(hours_used, on="entitlement_id", how="left")
        .join(plans, on="plan", how="left")
        .with_columns(
            consumed=pl.when(pl.col("usage_type") == "hours")
            .then(pl.col("hours_used").fill_null(0))
            .otherwise(pl.col("cases_used").fill_null(0))
        )
        .with_columns(
            remaining=pl.col("cap") - pl.col("consumed"), pct_used=pl.col("consumed") / pl.col("cap")
        )
    )
    near = (pl.col("pct_used") >= pl.col("near_limit_pct").fill_null(0.8)) | (
        pl.col("remaining") <= pl.col("near_limit_remaining").fill_null(1.0)
    )
    return out.with_columns(
        status=pl.when(day < pl.col("start_date"))
        .then(pl.lit("not_started"))
        .when(day > pl.col("end_date"))
        .then(pl.lit("expired"))
        .when((pl.col("usage_type") == "none") | pl.col("cap").is_null())
        .then(pl.lit("unlimited"))
        .when(pl.col("remaining") < 0)
        .then(pl.lit("over_cap"))
        .when(pl.col("remaining") == 0)
        .then(pl.lit("exhausted"))
        .when(near)
        .then(pl.lit("near_limit"))
        .otherwise(pl.lit("healthy"))
    )


# -- determinism and chunking ---------------------------------------------------


def test_same_seed_and_today_give_identical_tables() -> None:
    with Store(":memory:") as a, Store(":memory:") as b:
        build_demo(a, cases=2_000, seed=11, today=TODAY)
        build_demo(b, cases=2_000, seed=11, today=TODAY)
        snap_a, snap_b = _snapshot(a), _snapshot(b)
    for name in TABLES:
        assert_frame_equal(snap_a[name], snap_b[name])


@pytest.mark.parametrize("table", ["accounts", "entitlements", "cases", "grants", "usage_events"])
def test_different_seed_gives_different_data(table: str) -> None:
    def frame(seed: int) -> pl.DataFrame:
        return pl.concat(
            f for name, f in generate_demo(DemoOptions(cases=2_000, seed=seed, today=TODAY)) if name == table
        )

    assert not frame(1).equals(frame(2))


def test_chunk_size_changes_nothing_but_the_chunks() -> None:
    calls: list[tuple[int, int]] = []
    with Store(":memory:") as one, Store(":memory:") as many:
        build_demo(one, cases=3_000, seed=5, today=TODAY)
        build_demo(
            many,
            cases=3_000,
            seed=5,
            today=TODAY,
            chunk_size=377,
            progress=lambda done, total, _msg: calls.append((done, total)),
        )
        snap_one, snap_many = _snapshot(one), _snapshot(many)
    assert min(snap_one[name].height for name in ("time_entries", "grants", "usage_events")) > 0
    for name in TABLES:
        assert_frame_equal(snap_one[name], snap_many[name])
    # one call after the world, then one per chunk, ending at the total
    assert calls[0] == (0, 3_000)
    assert len(calls) == 1 + -(-3_000 // 377)
    assert calls[-1] == (3_000, 3_000)


def test_rebuild_replaces_content_and_bumps_data_version() -> None:
    with Store(":memory:") as store:
        build_demo(store, cases=1_000, today=TODAY)
        version = store.data_version()
        summary = build_demo(store, cases=600, seed=3, today=TODAY)
        assert store.count("cases") == 600 == summary.counts["cases"]
        assert store.data_version() == version + 1
        assert summary.counts == {n: store.count(n) for n in TABLES}
        assert summary.elapsed_seconds > 0


def test_zero_cases_builds_the_world_alone() -> None:
    with Store(":memory:") as store:
        summary = build_demo(store, cases=0, today=TODAY)
        assert summary.counts["cases"] == 0 and summary.counts["accounts"] >= 200


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"cases": -1}, ValueError),
        ({"chunk_size": 0}, ValueError),
        ({"today": dt.datetime(2026, 1, 1)}, TypeError),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        DemoOptions(**{"today": TODAY, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cases", "accounts"),
    [(0, 200), (50_000, 200), (100_000, 400), (1_000_000, 4_000), (10_000_000, 40_000), (50_000_000, 40_000)],
)
def test_accounts_scale_mildly_with_cases(cases: int, accounts: int) -> None:
    assert n_accounts(cases) == accounts


def test_summary_reads_as_one_line() -> None:
    with Store(":memory:") as store:
        text = str(build_demo(store, cases=1_000, seed=4, today=TODAY))
    assert "1,000 cases" in text and "200 accounts" in text and "seed 4, today 2026-05-14" in text
    assert "\n" not in text


# -- schema ---------------------------------------------------------------------


def test_every_frame_has_the_native_columns_and_dtypes() -> None:
    seen = set()
    for name, frame in generate_demo(DemoOptions(cases=1_500, today=TODAY, chunk_size=700)):
        assert frame.schema == pl.Schema(polars_schema(name)), name
        seen.add(name)
    assert {"cases", "time_entries", "entitlements", "milestone_targets", "holidays"} <= seen
    assert {"usage_resources", "grants", "usage_events"} <= seen


@pytest.mark.parametrize("table", list(TABLES))
def test_keys_are_unique_and_present(demo: dict[str, pl.DataFrame], table: str) -> None:
    key = list(TABLES[table].key)
    frame = demo[table]
    required = [c for c in key if TABLES[table].column(c).required]
    assert frame.select(required).null_count().sum_horizontal().item() == 0
    assert frame.select(key).is_duplicated().sum() == 0


@pytest.mark.parametrize(
    ("table", "column", "target", "target_column"),
    [(t.name, fk.column, fk.table, fk.target) for t in TABLES.values() for fk in t.foreign_keys],
)
def test_foreign_keys_resolve(
    demo: dict[str, pl.DataFrame], table: str, column: str, target: str, target_column: str
) -> None:
    values = demo[table][column].drop_nulls()
    missing = values.filter(~values.is_in(demo[target][target_column].implode()))
    assert missing.len() == 0, f"{table}.{column}: {missing.head(3).to_list()}"


@pytest.mark.parametrize(
    ("table", "column", "prefix", "width"),
    [
        ("cases", "case_id", "C", 8),
        ("accounts", "account_id", "A", 5),
        ("entitlements", "entitlement_id", "E", 6),
        ("grants", "grant_id", "G", 7),
        ("usage_events", "event_id", "UE", 9),
    ],
)
def test_ids_are_zero_padded_and_consecutive(
    demo: dict[str, pl.DataFrame], table: str, column: str, prefix: str, width: int
) -> None:
    expected = [f"{prefix}{i:0{width}d}" for i in range(1, demo[table].height + 1)]
    assert demo[table][column].sort().to_list() == expected


# -- the world ------------------------------------------------------------------


def test_accounts_spread_over_tiers_regions_and_owners(demo: dict[str, pl.DataFrame]) -> None:
    accounts = demo["accounts"]
    tiers = dict(accounts.group_by("tier").len().iter_rows())
    assert tiers == {"Standard": 76, "Pro": 56, "Enterprise": 20, "Hours 20": 28, "Hours 100": 20}
    assert set(accounts["region"]) == {"NA", "EMEA", "APAC", "LATAM"}
    assert 8 <= accounts["owner"].n_unique() <= 12
    assert accounts["name"].n_unique() == accounts.height


def test_plans_cover_cases_hours_and_none(demo: dict[str, pl.DataFrame]) -> None:
    plans = {r["plan"]: r for r in demo["plans"].iter_rows(named=True)}
    assert (plans["Standard"]["cap"], plans["Pro"]["cap"], plans["Enterprise"]["cap"]) == (10, 50, None)
    assert plans["Hours 100"]["usage_type"] == "hours" and plans["Hours 100"]["rollover_pct"] > 0
    assert plans["Hours 100"]["rollover_max"] > 0 and plans["Standard"]["rollover_max"] is None
    assert plans["Warranty"]["usage_type"] == "none"
    assert plans["Pro"]["near_limit_pct"] == 0.9


def test_calendars_have_zones_holidays_and_targets(demo: dict[str, pl.DataFrame]) -> None:
    zones = set(demo["business_hours"]["timezone"])
    assert zones == {"America/New_York", "Europe/Berlin", "UTC"}
    holidays = demo["holidays"].with_columns(pl.col("date").dt.year().alias("year"))
    names = set(
        holidays.filter(pl.col("year") == 2025).select(pl.concat_str("business_hours_id", "name")).to_series()
    )
    assert {"BH-US-EASTThanksgiving Day", "BH-EMEALabour Day", "BH-EMEAChristmas Day"} <= names
    assert dt.date(2025, 11, 27) in holidays.filter(pl.col("business_hours_id") == "BH-US-EAST")["date"]
    targets = demo["milestone_targets"]
    assert set(targets["milestone"]) == {"First Response", "Resolution"}
    assert targets.filter(pl.col("origin") == "Chat").height >= 1
    assert targets["warning_minutes"].drop_nulls().len() >= 1


def test_renewals_link_to_the_previous_term_of_the_same_account(demo: dict[str, pl.DataFrame]) -> None:
    ents = demo["entitlements"]
    linked = ents.filter(pl.col("renewal_of").is_not_null()).join(
        ents.select("entitlement_id", "account_id", "end_date"),
        left_on="renewal_of",
        right_on="entitlement_id",
        suffix="_prev",
    )
    assert linked.height == ents["renewal_of"].drop_nulls().len() > 100
    assert (linked["account_id"] == linked["account_id_prev"]).all()
    assert (linked["end_date_prev"] + dt.timedelta(days=1) == linked["start_date"]).all()


def test_terms_are_current_due_or_lapsed(demo: dict[str, pl.DataFrame]) -> None:
    terms = demo["entitlements"].filter(pl.col("usage_type") != "none")
    active = terms.filter(pl.col("start_date") <= TODAY, pl.col("end_date") >= TODAY)
    assert active["account_id"].n_unique() > 0.9 * demo["accounts"].height
    due = active.filter(pl.col("end_date") <= TODAY + dt.timedelta(days=90))
    assert due.height > 10
    latest = terms.group_by("account_id").agg(pl.col("end_date").max())
    assert latest.filter(pl.col("end_date") < TODAY).height >= 1  # not renewed
    assert terms.filter(pl.col("start_date") > TODAY).height >= 1  # renewed early
    assert set(terms["overflow"]) == {"allow", "warn", "block"}
    assert set(terms["consume_on"]) == {"created", "closed"}
    assert demo["entitlements"]["crm_remaining_cases"].drop_nulls().len() >= 5


def test_every_status_is_present(demo: dict[str, pl.DataFrame]) -> None:
    statuses = _statuses(demo, END_OF_TODAY)
    assert set(statuses["status"]) == {
        "not_started",
        "expired",
        "unlimited",
        "over_cap",
        "exhausted",
        "near_limit",
        "healthy",
    }
    hours = statuses.filter(pl.col("usage_type") == "hours")
    assert {"over_cap", "near_limit", "healthy"} <= set(hours["status"])
    # blocking entitlements refuse cases at their cap: never over it
    assert statuses.filter(pl.col("overflow") == "block", pl.col("status") == "over_cap").height == 0


@pytest.mark.parametrize(
    ("zone", "day", "hour", "offset_minutes"),
    [
        ("Europe/Berlin", dt.date(2026, 3, 29), 1, 60),  # before the spring change
        ("Europe/Berlin", dt.date(2026, 3, 29), 2, 60),  # 02:xx does not exist: the hour before's offset
        ("Europe/Berlin", dt.date(2026, 3, 29), 3, 120),
        ("Europe/Berlin", dt.date(2026, 10, 25), 2, 120),  # ambiguous: the earlier (summer) reading
        ("America/New_York", dt.date(2026, 7, 1), 12, -240),
        ("America/New_York", dt.date(2026, 11, 1), 1, -240),
        ("America/New_York", dt.date(2026, 11, 1), 3, -300),
        ("UTC", dt.date(2026, 7, 1), 12, 0),
    ],
)
def test_utc_offsets_follow_daylight_saving(zone: str, day: dt.date, hour: int, offset_minutes: int) -> None:
    first = (dt.date(2026, 1, 1) - dt.date(1970, 1, 1)).days
    table = utc_offsets(first, 365)
    assert table[ZONES.index(zone), (day - dt.date(2026, 1, 1)).days, hour] == offset_minutes


@pytest.mark.parametrize(
    ("calendar", "day", "name"),
    [
        ("BH-US-EAST", dt.date(2026, 11, 26), "Thanksgiving Day"),
        ("BH-US-EAST", dt.date(2026, 7, 3), "Independence Day"),  # Saturday 4 July observed on Friday
        ("BH-US-EAST", dt.date(2026, 5, 25), "Memorial Day"),
        ("BH-EMEA", dt.date(2026, 4, 3), "Good Friday"),  # Easter 2026 is 5 April
        ("BH-EMEA", dt.date(2026, 5, 25), "Whit Monday"),
        ("BH-EMEA", dt.date(2026, 12, 26), "St Stephen's Day"),
    ],
)
def test_holidays_are_the_real_public_holidays(calendar: str, day: dt.date, name: str) -> None:
    holidays = holidays_frame(2026, 2026)
    row = holidays.filter(pl.col("business_hours_id") == calendar, pl.col("date") == day)
    assert row["name"].to_list() == [name]


# -- cases ----------------------------------------------------------------------


def test_cases_count_and_shares(demo: dict[str, pl.DataFrame]) -> None:
    cases = demo["cases"]
    assert cases.height == SMALL
    assert 0.005 <= cases["is_deleted"].mean() <= 0.02
    assert set(cases["priority"]) == {"Low", "Medium", "High", "Critical"}
    assert set(cases["origin"]) == {"Email", "Phone", "Web", "Chat", "Twitter"}
    assert cases["closed_at"].null_count() > 0  # some still open


def test_unmatched_cases_exist_where_an_entitlement_was_active(demo: dict[str, pl.DataFrame]) -> None:
    ents = demo["entitlements"].filter(pl.col("usage_type") != "none")
    unnamed = (
        demo["cases"]
        .filter(pl.col("entitlement_id").is_null())
        .with_columns(day=pl.col("created_at").dt.date())
    )
    unmatched = unnamed.join(ents.select("account_id", "start_date", "end_date"), on="account_id").filter(
        pl.col("day").is_between(pl.col("start_date") + dt.timedelta(days=1), pl.col("end_date"))
    )
    assert 0.01 * SMALL <= unmatched["case_id"].n_unique() <= 0.03 * SMALL


@pytest.mark.parametrize("column", ["created_at", "first_response_at", "closed_at"])
def test_nothing_happens_after_today(demo: dict[str, pl.DataFrame], column: str) -> None:
    assert demo["cases"][column].max() <= END_OF_TODAY


@pytest.mark.parametrize("column", ["first_response_at", "closed_at"])
def test_case_moments_follow_creation(demo: dict[str, pl.DataFrame], column: str) -> None:
    cases = demo["cases"].filter(pl.col(column).is_not_null())
    assert (cases[column] >= cases["created_at"]).all()


def test_weekends_are_quieter_than_weekdays(demo: dict[str, pl.DataFrame]) -> None:
    by_day = demo["cases"].group_by(pl.col("created_at").dt.weekday().alias("weekday")).len()
    weekday = by_day.filter(pl.col("weekday") <= 5)["len"].mean()
    weekend = by_day.filter(pl.col("weekday") >= 6)["len"].mean()
    assert weekend < 0.7 * weekday


def test_time_entries_only_on_hour_banks(demo: dict[str, pl.DataFrame]) -> None:
    entries = demo["time_entries"].join(demo["cases"].select("case_id", "entitlement_id"), on="case_id")
    usage = entries.join(demo["entitlements"].select("entitlement_id", "usage_type"), on="entitlement_id")
    assert usage.height == entries.height > 0
    assert set(usage["usage_type"]) == {"hours"}
    assert entries["minutes"].min() >= 15 and entries["minutes"].max() <= 240
    assert entries["entry_date"].max() <= TODAY


def test_default_today_is_the_current_utc_date() -> None:
    with Store(":memory:") as store:
        summary = build_demo(store, cases=50)
        assert summary.options.today == dt.datetime.now(dt.UTC).date()
