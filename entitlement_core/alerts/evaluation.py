"""One evaluation: read a snapshot, run the reports, find new crossings and cleared ones, route them.

Nothing here writes: :func:`evaluate` reads one read-only snapshot (closed
before the analytics run), so the app and other jobs carry on meanwhile.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import polars as pl

from ..asof import AsOf, as_of_value
from ..reports import run_reports as run_reports_of
from ..settings import Settings
from ..staging import Tables, load_tables
from ..store import Store
from .conditions import REPORTS_OF, Capabilities, capabilities, conditions
from .messages import link_path
from .outbox import route
from .rules import RULE_IDS, RuleSet
from .state import State, diff, read_state

__all__ = ["Evaluation", "evaluate", "needed_reports", "report_settings", "run_reports"]


@dataclass(frozen=True)
class Evaluation:
    """What a run would do: alerts to fire (with routes), alerts to clear, and notes."""

    as_of: dt.datetime
    run_id: str
    fired_at: dt.datetime
    conditions: pl.DataFrame
    new: pl.DataFrame
    cleared: pl.DataFrame
    routes: pl.DataFrame
    state: State
    caps: Capabilities
    notes: tuple[str, ...]


def _active(rules: RuleSet, rule_id: str) -> bool:
    rule = rules.rule(rule_id)
    return bool(rule.enabled or any(o.enabled for o in rule.overrides))


def needed_reports(rules: RuleSet) -> list[str]:
    """The reports the enabled rules read (``utilization`` always: names, plans and banners)."""
    names = [name for name, ids in REPORTS_OF.items() if any(_active(rules, r) for r in ids)]
    return ["utilization", *[n for n in names if n != "utilization"]]


def report_settings(rules: RuleSet, settings: Settings, *, renewal_days: int | None = None) -> Settings:
    """Settings for the reports: a renewals window long enough for every ``renewal_due`` override."""
    rule = rules.rule("renewal_due")
    days = [rule.within_days, *[o.within_days for o in rule.overrides if o.within_days is not None]]
    if renewal_days is not None:
        days.append(renewal_days)
    return settings.model_copy(update={"renewal_window_days": max(1, *days)})


def run_reports(
    tables: Tables, names: list[str], *, as_of: dt.datetime | AsOf, settings: Settings
) -> dict[str, pl.DataFrame]:
    """The named reports, through the public registry (one intermediate layer shared by all).

    ``utilization`` and ``near-limit`` come with the forecast's figures
    (:func:`~entitlement_core.usage.utilization.with_forecast`): the
    ``prob_run_out`` the projected-run-out rule weighs, and the banner with
    the plan every page recommends.
    """
    from ..usage.utilization import with_forecast

    enriched = [name for name in ("utilization", "near-limit") if name in names]
    wanted = [*names, "forecast"] if enriched and "forecast" not in names else list(names)
    reports = run_reports_of(wanted, tables, as_of=as_of, settings=settings)
    for name in enriched:
        reports[name] = with_forecast(reports[name], reports["forecast"])
    return {name: reports[name] for name in names}


def evaluate(
    store: Store,
    rules: RuleSet,
    settings: Settings,
    *,
    as_of: dt.datetime | AsOf,
    explicit_as_of: bool = False,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Evaluate every rule as of ``as_of`` against the alert state in the database.

    A date (:class:`~entitlement_core.asof.AsOf`) means the end of that day in each
    entitlement's zone for the reports; the run records the end of that day in UTC.

    Links carry the as-of date only when the run was given one (``explicit_as_of``):
    a live alert links to the live view.
    """
    with store.reading() as snap:
        tables = load_tables(snap).collect_all()
        state = read_state(snap)
    reports = run_reports(
        tables, needed_reports(rules), as_of=as_of, settings=report_settings(rules, settings)
    )
    as_of = as_of_value(as_of).moment_in("UTC")
    caps = capabilities({name: tuple(frame.columns) for name, frame in reports.items()})
    if "milestones" not in reports:
        caps = Capabilities(
            True, caps.probability_column, caps.notes
        )  # no milestone rule runs: nothing to say
    found = conditions(reports, rules, as_of=as_of, caps=caps)
    fired_at = now or dt.datetime.now(dt.UTC)
    run_id = uuid.uuid4().hex[:12]
    changes = diff(found, state, as_of=as_of, run_id=run_id, fired_at=fired_at)
    day = as_of.date() if explicit_as_of else None
    links = [link_path(row, as_of_date=day) for row in changes.new.iter_rows(named=True)]  # one per new alert
    new = changes.new.with_columns(pl.Series("link", links, dtype=pl.String))
    routes, notes = route(new, rules, settings)
    if not caps.paused_clocks and _active(rules, "case_paused"):
        notes.insert(0, caps.notes[0])
    return Evaluation(as_of, run_id, fired_at, found, new, changes.cleared, routes, state, caps, tuple(notes))


def rule_counts(frame: pl.DataFrame) -> str:
    """``near_limit 3, exhausted 1`` in rule order (empty when none)."""
    if frame.is_empty():
        return ""
    counts = dict(frame.group_by("rule_id").len().iter_rows())
    return ", ".join(f"{rule_id} {counts[rule_id]}" for rule_id in RULE_IDS if rule_id in counts)
