"""The intermediate layer: what every mart shares, computed once per (data, as-of, settings).

A :class:`Basis` wraps the staged tables, one as-of value and the settings.
Each intermediate result is computed the first time a mart asks for it and
kept for every later one (the app keeps one basis per data version and
as-of value, so a page switch recomputes nothing):

========================  ====================================================  ==============================
result                    grain                                                 rules (where they live)
========================  ====================================================  ==============================
:attr:`terms`             one row per entitlement: zone, UTC term bounds,       :mod:`.usage.terms`,
                          as-of moment and day, burn window, thresholds         :mod:`.usage.positions`
:attr:`units`             one row per unit of consumption (the ledger)          :mod:`.kernels.ledger`
:attr:`consumption`       per entitlement and local day                         :mod:`.kernels.consumption`
:attr:`totals`            per entitlement (the same sums, no days needed)       :mod:`.kernels.consumption`
:attr:`grants`            per grant, per (entitlement, resource): drawdown      :mod:`.usage.grants`
:attr:`positions`         one row per entitlement: consumed, allotment,         :mod:`.usage.positions`
                          remaining, overage, the moment the cap was reached
:attr:`overage_units`     one row per unit no grant covers                      :mod:`.kernels.rows`
:attr:`instances`         one row per milestone instance                        :mod:`.sla.milestones`
:meth:`sla`               per milestone group and day; margin histogram         :mod:`.kernels.compliance`
:attr:`pauses`            one row per case with a process: the pause audit      :mod:`.sla.pause_audit`
========================  ====================================================  ==============================

Marts are pure functions of a basis (:mod:`entitlement_core.reports`
lists them). Row-proportional steps run as kernels on the whole data as one
slice (:func:`~entitlement_core.kernels.run_local`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

from .asof import AsOf, AsOfLike, as_of_value
from .kernels import Kernel, run_local
from .kernels.consumption import CONSUMPTION, TOTALS, Consumption
from .kernels.ledger import CASE_COLUMNS, EVENT_COLUMNS, UsageContext, event_units, ledger_units
from .kernels.rows import CAP_REACHED, DRAWDOWN_DEMAND, OVERAGE_UNITS, DrawdownContext
from .kernels.zones import DayTable
from .settings import Settings
from .staging import Tables
from .usage import positions as pos
from .usage.grants import draw, drawdown_context, effective_grants
from .usage.terms import entitlement_terms, known_zones

if TYPE_CHECKING:
    from .sla.pause_audit import PauseAudit

__all__ = ["SLA_SLICE_CASES", "Basis", "GrantDrawdown", "SlaParts"]

T = TypeVar("T")

#: Cases whose milestones are measured at once when only their counts are needed (:meth:`Basis.sla`):
#: the memory of the compliance kernels stays that of one slice, whatever the data.
SLA_SLICE_CASES = 500_000


class GrantDrawdown:
    """The drawdown of the entitlements that have grants rows (any resource), as of each one's moment.

    ``per_grant`` and ``per_key`` as :func:`~entitlement_core.usage.grants.drawdown`
    (exact base units), with ``_ent``; entitlements with only a cap are not
    here: their single implicit anchor has a closed form
    (:func:`~entitlement_core.usage.positions.anchor_only_grants`).
    """

    def __init__(self, per_grant: pl.DataFrame, per_key: pl.DataFrame) -> None:
        self.per_grant = per_grant
        self.per_key = per_key


def _disjoint(kernel: Kernel, parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Partials that share no key, put together: their combination (each key's sums are in one part)."""
    return pl.concat(parts) if parts else kernel.empty()


class SlaParts:
    """The compliance kernels' combined results (:mod:`entitlement_core.kernels.compliance`)."""

    def __init__(self, counts: pl.DataFrame, margins: pl.DataFrame) -> None:
        self.counts = counts
        self.margins = margins


class Basis:
    """The intermediate results of one (data, as-of, settings), each computed on first use.

    Parameters
    ----------
    tables
        The staged native tables.
    as_of
        The as-of value (:class:`~entitlement_core.asof.AsOf`; a datetime
        is a moment, a date the end of that day in each zone).
    settings
        Thresholds, burn window, at-risk fraction (defaults when omitted).

    Safe to share between threads: each result is computed once, others wait.
    """

    def __new__(cls, tables: Tables, **_: Any) -> Basis:
        # Tables of an aggregates store: the case-sized results come from the aggregate tables.
        if cls is Basis and getattr(tables, "aggregates", None) is not None:
            from .aggregates.basis import AggregateBasis

            cls = AggregateBasis
        return super().__new__(cls)

    def __init__(self, tables: Tables, *, as_of: AsOfLike, settings: Settings | None = None) -> None:
        self.tables = tables
        self.as_of: AsOf = as_of_value(as_of)
        self.settings = settings or Settings()
        self._memo: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()

    def once(self, key: Any, build: Callable[[], T]) -> T:
        """``build()`` the first time ``key`` is asked for, the kept result afterwards."""
        if key in self._memo:
            return self._memo[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = build()
        return self._memo[key]

    # -- usage ---------------------------------------------------------------------------

    @property
    def zones(self) -> list[str]:
        """Valid zone names of the business hours, plus UTC."""
        return self.once("zones", lambda: known_zones(self.tables))

    @property
    def terms(self) -> pl.DataFrame:
        """One row per entitlement (:func:`~entitlement_core.usage.positions.with_rules`)."""
        return self.once("terms", self._terms)

    def _terms(self) -> pl.DataFrame:
        lazy = entitlement_terms(self.tables, as_of=self.as_of, zones=self.zones)
        frame = pos.with_rules(lazy, self.tables.plans, settings=self.settings).collect(engine="in-memory")
        return frame.with_columns(self.days.zone_code(pl.col("timezone")).alias("_zone"))

    @property
    def days(self) -> DayTable:
        """Where local days begin in every zone, over the days the terms need."""
        return self.once("days", self._days)

    def _days(self) -> DayTable:
        ents = self.tables.entitlements.select("start_date", "end_date").collect(engine="in-memory")
        latest = max(self.as_of.latest.date(), dt.date(1970, 1, 1)) + dt.timedelta(days=1)
        if ents.height == 0:
            return DayTable.build(self.zones, latest, latest)
        first = ents["start_date"].min()
        last = min(ents["end_date"].max(), latest)  # type: ignore[type-var]
        return DayTable.build(self.zones, first, max(first, last))  # type: ignore[arg-type]

    @property
    def context(self) -> UsageContext:
        """The usage kernels' context: the terms' facts and the day table."""
        return self.once("context", lambda: UsageContext(pos.context_terms(self.terms, self.days), self.days))

    @property
    def units(self) -> pl.DataFrame:
        """The consumption ledger's units (:data:`~.kernels.ledger.UNIT_SCHEMA` without the case and
        time-entry ids, which the sums do not need), read once."""
        return self.once("units", self._units)

    def _units(self) -> pl.DataFrame:
        tables = self.tables
        context = self.context
        cases, entries, events = pl.collect_all(
            [
                tables.cases.select(CASE_COLUMNS),
                tables.time_entries.select("time_entry_id", "case_id", "entry_date", "minutes"),
                tables.usage_events.select(EVENT_COLUMNS),
            ]
        )
        # Read with the others (few rows): the grant drawdown's metered usage.
        self._memo["events"] = events
        # Time entries count on cases naming an hours entitlement: a membership test finds those few.
        hours = context.terms.filter(pl.col("is_hours")).get_column("entitlement_id").implode()
        hours_cases = cases.lazy().filter(pl.col("entitlement_id").is_in(hours))
        joined = (
            entries.lazy()
            .join(hours_cases.select("case_id", "entitlement_id", "is_deleted"), on="case_id", how="inner")
            .collect()
        )
        self._memo["entry_cases"] = joined
        # The sums need no ids and the totals no local days: the units leave them out (a few entitlements'
        # units get ids: units_of; the per-day kernel adds the days).
        return ledger_units(cases, joined, context, ids=False, days=False).collect()

    def units_of(self, entitlements: pl.Series) -> pl.DataFrame:
        """The units of a few entitlements (``_ent``) with their case and time-entry ids
        (:data:`~.kernels.ledger.UNIT_SCHEMA`): the same rules, on those entitlements' rows only."""
        chosen = entitlements.implode()
        ids = self.context.terms.filter(pl.col("_ent").is_in(chosen)).get_column("entitlement_id").implode()
        self.units  # noqa: B018 - reads the time entries with their cases once
        entries = self._memo["entry_cases"].filter(pl.col("entitlement_id").is_in(ids))
        cases = self.tables.cases.filter(pl.col("entitlement_id").is_in(ids))
        return ledger_units(cases, entries, self.context).collect()

    @property
    def consumption(self) -> Consumption:
        """Consumption per entitlement and local day, and per entitlement (the per-day kernel)."""
        return self.once("consumption", lambda: run_local(CONSUMPTION, self.units, self.context, self.as_of))

    @property
    def totals(self) -> pl.DataFrame:
        """Consumption per entitlement (the totals kernel: the days summed, without computing days)."""
        return self.once("totals", lambda: run_local(TOTALS, self.units, self.context, self.as_of))

    def hours_days(self) -> pl.DataFrame:
        """Hours entitlements' per-day lumps for the forecast (:func:`~.forecast.inputs.hours_days`)."""
        from .forecast.inputs import hours_days

        def build() -> pl.DataFrame:
            hours = self.terms.filter(pl.col("is_hours")).get_column("_ent")
            return hours_days(self.units_of(hours), self.context)

        return self.once("hours_days", build)

    @property
    def grants(self) -> GrantDrawdown:
        """The grant drawdown of every entitlement with grants rows."""
        return self.once("grants", self._grants)

    def drawdown_plan(self) -> tuple[pl.DataFrame, DrawdownContext, pl.DataFrame] | None:
        """The grant drawdown's small part: the effective grants of the entitlements with grants rows
        (keyed), the demand kernel's context (keys, segment moments) and those entitlements' terms.
        None when no entitlement has grants."""
        return self.once("drawdown_plan", self._drawdown_plan)

    def _drawdown_plan(self) -> tuple[pl.DataFrame, DrawdownContext, pl.DataFrame] | None:
        rows = self.tables.grants.collect(engine="in-memory")
        terms = self.terms.join(rows.select("entitlement_id").unique(), on="entitlement_id", how="semi")
        if rows.height == 0 or terms.height == 0:
            return None
        facts = terms.lazy().select("entitlement_id", "usage_type", "cap", "start_utc", "end_utc", "as_of_at")
        effective = (
            effective_grants(rows.lazy(), facts)
            .join(terms.lazy().select("entitlement_id", "_ent"), on="entitlement_id", how="inner")
            .collect(engine="in-memory")
        )
        keyed, context = drawdown_context(
            effective, own=terms.select("_ent", pl.col("usage_type").alias("resource"))
        )
        return keyed, context, terms

    def drawdown_inputs(self) -> tuple[pl.DataFrame, DrawdownContext, pl.LazyFrame] | None:
        """What the grant drawdown draws: :meth:`drawdown_plan` and the units of those entitlements
        (own resource from the ledger, metered resources from the usage events). None when no
        entitlement has grants.
        """
        plan = self.drawdown_plan()
        if plan is None:
            return None
        keyed, context, terms = plan
        chosen = terms.get_column("_ent").implode()
        # The ledger's units are of their entitlement's own resource: left empty, matched by ``_ent``.
        own = self.units.lazy().select(
            "_ent", pl.lit(None, dtype=pl.String).alias("resource"), "consumed_at", "quantity"
        )
        events = self.once("events", lambda: self.tables.usage_events.select(EVENT_COLUMNS).collect())
        metered = event_units(events, self.context).filter(pl.col("_ent").is_in(chosen))
        used = pl.concat([own, metered.select("_ent", "resource", "consumed_at", "quantity")])
        return keyed, context, used

    def _grants(self) -> GrantDrawdown:
        inputs = self.drawdown_inputs()
        if inputs is None:
            return GrantDrawdown(*pos.empty_drawdown())
        keyed, context, used = inputs
        demand = run_local(DRAWDOWN_DEMAND, used, context, self.as_of)
        self._memo["demand"] = demand  # kept for the aggregate tables
        return self._draw(keyed, context, demand)

    def _draw(self, keyed: pl.DataFrame, context: DrawdownContext, demand: pl.DataFrame) -> GrantDrawdown:
        per_grant, per_key = draw(keyed, context, demand)
        ids = self.terms.select("entitlement_id", "_ent")
        return GrantDrawdown(per_grant.join(ids, on="entitlement_id"), per_key.join(ids, on="entitlement_id"))

    @property
    def positions(self) -> pl.DataFrame:
        """One row per entitlement: consumption, allotment, remaining, overage (exact), cap reached."""
        return self.once("positions", self._positions)

    def _positions(self) -> pl.DataFrame:
        base = pos.positions(self.terms, self.totals, self.grants.per_key)
        reached = pos.reached_selection(base)
        found = self.once("cap_reached", lambda: self._cap_reached(reached))
        return pos.with_cap_reached(base, found, self.days)

    def _cap_reached(self, reached: pl.DataFrame) -> pl.DataFrame:
        """The moment each selected entitlement (``_ent, allotment``) reached its allotment."""
        return run_local(CAP_REACHED, self.units, self.context.with_selected(reached), self.as_of)

    @property
    def overage_units(self) -> pl.DataFrame:
        """Every unit no grant covers, in consumption order (the overage listing's rows)."""
        return self.once("overage_units", self._overage_units)

    def _overage_units(self) -> pl.DataFrame:
        over = self.positions.filter(pl.col("overage_base") > 0).select(
            "_ent", pl.col("overage_base").alias("overage")
        )
        # Consumption order breaks ties by case id: those entitlements' units with their ids.
        units = self.units_of(over.get_column("_ent"))
        return run_local(OVERAGE_UNITS, units, self.context.with_selected(over), self.as_of)

    # -- milestones ---------------------------------------------------------------------

    def milestone_instances(self, started_from: dt.datetime | None = None) -> pl.DataFrame:
        """Milestone instances as of the basis's value (:func:`~.sla.milestones.milestone_instances`).

        ``started_from`` measures only instances started since then (a
        month's compliance needs that month's only: the business-time
        arithmetic is the costly part).
        """
        from .sla.milestones import milestone_instances

        def build() -> pl.DataFrame:
            found = milestone_instances(
                self.tables,
                as_of=self.as_of,
                at_risk_fraction=self.settings.at_risk_fraction,
                started_from=started_from,
            )
            return found.collect()

        return self.once(("instances", started_from), build)

    @property
    def instances(self) -> pl.DataFrame:
        """Every milestone instance (grain: one row per instance)."""
        return self.milestone_instances()

    def sla(self, started_from: dt.datetime | None = None) -> SlaParts:
        """The compliance kernels' results: counts per group and day, margin histogram.

        When the instances are not already kept, they are measured one window
        of start moments at a time (:meth:`sla_windows`: about
        :data:`SLA_SLICE_CASES` cases each), each window's instances counted
        by the kernels and dropped: only the partials are kept. The windows
        begin on Mondays (UTC), so no day or week of the partials' keys is in
        two windows: their partials are already combined once put together.
        """
        from .kernels.compliance import COUNTS, MARGINS, SlaContext
        from .sla.milestones import milestone_instances

        def build() -> SlaParts:
            context = SlaContext(
                self.entitlement_dims.select("entitlement_id", "region", "plan", "usage_type")
            )
            kept = self._memo.get(("instances", started_from))
            if kept is not None:
                return SlaParts(
                    run_local(COUNTS, kept, context, self.as_of),
                    run_local(MARGINS, kept, context, self.as_of),
                )
            counts, margins = [], []
            for since, before in self.sla_windows(started_from):
                instances = milestone_instances(
                    self._window_tables(since, before),
                    as_of=self.as_of,
                    at_risk_fraction=self.settings.at_risk_fraction,
                    started_from=since,
                    started_before=before,
                ).collect()
                counts.append(COUNTS.kernel(instances, context, self.as_of))
                margins.append(MARGINS.kernel(instances, context, self.as_of))
                del instances
            return SlaParts(
                COUNTS.finish(_disjoint(COUNTS, counts), context),
                MARGINS.finish(_disjoint(MARGINS, margins), context),
            )

        return self.once(("sla", started_from), build)

    def _window_tables(self, since: dt.datetime | None, before: dt.datetime | None) -> Tables:
        """The tables with only the cases that can have an instance started in ``[since, before)``.

        Created then (derived milestones start at creation), or with an imported record started then;
        the window is applied again to the instances, so this only spares joining the other cases.
        """

        def inside(column: str) -> pl.Expr:
            moment = pl.col(column)
            keep = pl.lit(True)
            if since is not None:
                keep = keep & (moment >= pl.lit(since).cast(pl.Datetime("us", "UTC")))
            if before is not None:
                keep = keep & (moment < pl.lit(before).cast(pl.Datetime("us", "UTC")))
            return keep

        tables = self.tables
        recorded = tables.case_milestones.filter(inside("started_at")).select("case_id").collect()
        ids = recorded.get_column("case_id").implode()
        cases = tables.cases.filter(inside("created_at") | pl.col("case_id").is_in(ids))
        return replace(tables, cases=cases)

    def sla_windows(
        self, started_from: dt.datetime | None = None
    ) -> list[tuple[dt.datetime | None, dt.datetime | None]]:
        """Windows of start moments ``[since, before)`` covering every instance started from ``started_from``.

        Each holds about :data:`SLA_SLICE_CASES` cases by creation moment (a
        case's derived milestones start when it is created; imported records
        fall in whichever window their start is in); inner bounds are Mondays
        00:00 UTC, the first window starts at ``started_from`` (or ever), the
        last never ends.
        """
        created = self.tables.cases.select("created_at").collect().get_column("created_at")
        if started_from is not None:
            created = created.filter(created >= started_from)
        slices = -(-created.len() // SLA_SLICE_CASES)
        bounds: list[dt.datetime] = []
        if slices > 1:
            ordered = created.drop_nulls().sort()
            picks = ordered.gather([ordered.len() * i // slices for i in range(1, slices)])
            mondays = picks.dt.date().dt.truncate("1w").unique().sort()
            bounds = [
                dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
                for day in mondays
                if started_from is None or dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) > started_from
            ]
        edges: list[dt.datetime | None] = [started_from, *bounds, None]
        return list(pairwise(edges))

    @property
    def pauses(self) -> PauseAudit:
        """The pause audit of every case with a process (:func:`~.sla.pause_audit.case_pauses`)."""
        from .sla.pause_audit import case_pauses

        threshold = self.settings.pause_share_threshold
        return self.once("pauses", lambda: case_pauses(self.tables, as_of=self.as_of, threshold=threshold))

    @property
    def entitlement_dims(self) -> pl.DataFrame:
        """The filter dimensions of every entitlement (:func:`~entitlement_core.filters.entitlement_dims`)."""
        from .filters import entitlement_dims

        return self.once("dims", lambda: entitlement_dims(self.tables))

    # -- marts -----------------------------------------------------------------------------

    def mart(self, name: str, **params: Any) -> pl.DataFrame:
        """A registered mart (:mod:`entitlement_core.reports`), computed once per name and parameters."""
        from .reports import build

        key = ("mart", name, tuple(sorted(params.items())))
        return self.once(key, lambda: build(name, self, **params))
