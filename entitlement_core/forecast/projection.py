"""Projection of every term to its end: own pace blended with what its history says.

For each term, as of a cut-off day (its local as-of day):

1. *Own evidence*: what it consumed from its start to the cut-off and the
   exposure of those days (:mod:`.seasonality`).
2. *Prior* (:mod:`.priors`): its plan's cohort prior (all entitlements of
   the usage type when the plan's cohort is too small or the plan is
   unknown), plus the evidence of the earlier terms of its renewal chain
   (``chain_weight``) and of the account's other entitlements of the same
   usage type (``account_weight``) over the year before the cut-off.
3. *Posterior*: prior plus own evidence, a gamma distribution of its rate.
   Its mean is the credibility blend ``weight_own x rate_own + (1 -
   weight_own) x rate_prior`` with ``weight_own = E / (E + k)``: ``E`` the
   own exposure in average days, ``k`` the prior's worth in days (small for
   a spread-out cohort, large for a uniform one; days of the chain's
   history add to it). A term two days old projects at about its prior's
   pace; one nine months old mostly at its own.
4. *Outcomes* (:mod:`.outcomes`): projected consumption at the end of the
   term with its interval, probability of running out, expected shortfall,
   run-out dates.

Everything reads only days up to each row's cut-off: seasonality, lump
size and cohort priors only the complete months before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from .evidence import KEY_SHIFT, DailyIndex, EntitlementArrays, exposure_of, lump_sizes
from .inputs import ForecastInputs
from .options import DEFAULT_OPTIONS, ForecastOptions
from .outcomes import Posterior, remaining_figures, run_out_days
from .priors import cohort_prior_of, cohort_table, history_evidence
from .seasonality import Seasonality, fit_seasonality, to_days

__all__ = ["PROJECTION_COLUMNS", "Prepared", "prepare", "project"]

#: Columns :func:`project` adds to its targets, in order.
PROJECTION_COLUMNS = (
    "account_id", "plan", "usage_type", "unit", "allotment", "start_date", "end_date",
    "consumed", "own_days", "days_left", "prior_source", "prior_days", "rate_own", "rate_prior",
    "weight_own", "rate", "projected_at_end", "projected_p10", "projected_p50", "projected_p90",
    "prob_run_out", "expected_shortfall", "projected_exhaustion_date", "exhaustion_date_p10",
    "exhaustion_date_p90", "is_founded",
)  # fmt: skip


@dataclass(frozen=True)
class _Context:
    """What every step reads: the entitlements, the daily index, the calendar, per-target positions."""

    ents: pl.DataFrame
    index: DailyIndex
    season: Seasonality
    arrays: EntitlementArrays
    lump: np.ndarray  # lump size of hours per profile
    i: np.ndarray  # entitlement row of each target
    cut: np.ndarray  # cut-off day of each target (epoch days)
    profile: np.ndarray  # profile of each target

    @property
    def evidence_key(self) -> tuple[Seasonality, DailyIndex, EntitlementArrays, np.ndarray, np.ndarray]:
        return self.season, self.index, self.arrays, self.cut, self.profile


def _profiles(cut: np.ndarray, profile_date: dt.date | None) -> np.ndarray:
    """The profile date (first of a month, epoch days) of each cut-off."""
    months = cut.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if profile_date is None:
        return months
    shared = (profile_date - dt.date(1970, 1, 1)).days
    if profile_date.day != 1 or (months.size and shared > months.min()):
        raise ValueError(f"profile_date {profile_date} must be a first of a month, not after any cut-off's")
    return np.full(months.size, shared)


def _context(
    inputs: ForecastInputs, ents: pl.DataFrame, i: np.ndarray, cut: np.ndarray, months: np.ndarray, opts
) -> _Context:
    profiles = np.unique(months)
    every = np.concatenate(
        [to_days(ents.get_column("start_date")), to_days(ents.get_column("end_date")), cut, profiles]
    )
    span = (int(every.min()) - 1, int(every.max()) + 1) if every.size else (0, 1)
    index = DailyIndex.build(inputs.daily, ents.get_column("entitlement_id"), span[0])
    season = fit_seasonality(
        ents, index.consumption(), profiles, span=span, enabled=opts.seasonality, shrink=opts.shrink
    )
    arrays = EntitlementArrays(ents, season)
    lump = lump_sizes(index, arrays.is_hours[index.keys >> KEY_SHIFT], season.profile_dates)
    profile = np.searchsorted(season.profile_dates, months)
    return _Context(ents, index, season, arrays, lump, i, cut, profile)


def _posterior(
    ctx: _Context, t: pl.DataFrame, opts: ForecastOptions
) -> tuple[Posterior, dict[str, np.ndarray]]:
    """Own evidence, prior and posterior of each target; the rates they imply."""
    a, i = ctx.arrays, ctx.i
    start, end, hours = a.start[i], a.end[i], a.is_hours[i]
    q = np.where(hours, ctx.lump[ctx.profile], 1.0)
    consumed = ctx.index.units(i, ctx.cut)
    own_e, own_days = exposure_of(ctx.season, ctx.profile, a.zone[i], start, end, ctx.cut)
    seen = np.maximum(ctx.cut, start - 1)
    left_e = ctx.season.exposure(ctx.profile, a.zone[i], seen + 1, end)
    chain_u, chain_e = history_evidence(t, ctx.ents, "chain", ctx.evidence_key, opts)
    acc_u, acc_e = history_evidence(t, ctx.ents, "account", ctx.evidence_key, opts)
    sums = cohort_table(ctx.ents, ctx.season, ctx.index, a, ctx.lump)
    has_cohort, alpha_c, beta_c = cohort_prior_of(t, _own_share(ctx, q), sums, opts)
    alpha_p = alpha_c + (chain_u + acc_u) / q
    beta_p = beta_c + chain_e + acc_e
    post = Posterior(is_hours=hours, q=q, r=alpha_p + consumed / q, beta=beta_p + own_e, exposure_left=left_e)
    with np.errstate(divide="ignore", invalid="ignore"):
        figures = {
            "consumed": consumed,
            "own_days": own_days.astype(np.int64),
            "days_left": np.maximum(end - seen, 0).astype(np.int64),
            "prior_source": np.select(
                [chain_e > 0, acc_e > 0, has_cohort], ["chain", "account", "cohort"], default="none"
            ),
            "prior_days": beta_p,
            "rate_own": np.where(own_e > 0, consumed / own_e, np.nan),
            "rate_prior": np.where(beta_p > 0, q * alpha_p / beta_p, np.nan),
            "weight_own": np.where(post.beta > 0, own_e / post.beta, np.nan),
            "rate": np.where(post.beta > 0, q * post.r / post.beta, np.nan),
            "_seen": seen,
        }
    return post, figures


def _own_share(ctx: _Context, q: np.ndarray) -> pl.DataFrame:
    """Each target's own evidence at its profile date: what its cohort's sums hold of it."""
    a, i = ctx.arrays, ctx.i
    last = ctx.season.profile_dates[ctx.profile] - 1
    exposure, _ = exposure_of(ctx.season, ctx.profile, a.zone[i], a.start[i], a.end[i], last)
    return pl.DataFrame(
        {
            "profile": ctx.profile,
            "lumps": ctx.index.units(i, last) / q,
            "exposure": exposure,
            "ended": a.end[i] <= last,
        }
    )


@dataclass(frozen=True)
class Prepared:
    """The posterior of each target and what it was computed from (for :func:`project` and the band)."""

    known: pl.DataFrame  # the targets with a known entitlement, with its row ``_i``
    ents: pl.DataFrame
    ctx: _Context
    post: Posterior
    figures: dict[str, np.ndarray]  # own evidence, prior and rates of each target
    seen: np.ndarray  # last day already seen (the cut-off, or the day before the term starts)
    allotment: np.ndarray  # NaN: unlimited


def prepare(
    inputs: ForecastInputs,
    targets: pl.DataFrame,
    *,
    options: ForecastOptions = DEFAULT_OPTIONS,
    profile_date: dt.date | None = None,
) -> Prepared:
    """Evidence, prior and posterior of each target (``entitlement_id, cutoff_date``); see :func:`project`."""
    ents = inputs.entitlements.with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64))
    known = targets.join(
        ents.select("entitlement_id", "_i"), on="entitlement_id", how="inner", maintain_order="left"
    )
    i = known.get_column("_i").to_numpy()
    t = (
        ents.select("account_id", "usage_type", "plan", "chain_root_id", "term_index", "allotment")[i]
        .with_columns(pl.Series("_i", i, dtype=pl.Int64))
        .with_row_index("_t")
        .with_columns(pl.col("_t").cast(pl.Int64))
    )
    cut = to_days(known.get_column("cutoff_date")) if known.height else np.zeros(0, dtype=np.int64)
    ctx = _context(inputs, ents, i, cut, _profiles(cut, profile_date), options)
    post, figures = _posterior(ctx, t, options)
    seen = figures.pop("_seen")
    allot = t.get_column("allotment").cast(pl.Float64).fill_null(np.nan).to_numpy()
    return Prepared(known, ents, ctx, post, figures, seen, allot)


def project(
    inputs: ForecastInputs,
    targets: pl.DataFrame,
    *,
    options: ForecastOptions = DEFAULT_OPTIONS,
    profile_date: dt.date | None = None,
) -> pl.DataFrame:
    """Project each target term to its end as of its own cut-off day.

    Grain: one row per row of ``targets`` whose ``entitlement_id`` is known
    (others are left out), in the targets' order.

    Parameters
    ----------
    inputs
        Daily consumption and the entitlements (:class:`~.inputs.ForecastInputs`).
    targets
        ``entitlement_id, cutoff_date`` (the last local day whose consumption
        is known) and any columns to keep (none named as an output column).
    options
        :class:`~.options.ForecastOptions`.
    profile_date
        One first day of a month for every target's seasonality, lump size
        and cohorts (the data before it), instead of each cut-off's own
        month: cheaper when the cut-offs are close. It must not be after
        the first day of any target's cut-off month (that would read later
        data): a ValueError says so.

    Returns
    -------
    pl.DataFrame
        The targets' columns, then :data:`PROJECTION_COLUMNS`.
    """
    clash = set(targets.columns) & set(PROJECTION_COLUMNS)
    if clash:
        raise ValueError(f"targets must not carry output columns: {sorted(clash)}")
    prep = prepare(inputs, targets, options=options, profile_date=profile_date)
    ctx, post, figures, i = prep.ctx, prep.post, dict(prep.figures), prep.ctx.i
    allot = prep.allotment
    figures.update(remaining_figures(post, figures["consumed"], allot, options.band))
    dates = _run_out_dates(ctx, post, figures["consumed"], allot, prep.seen, options)
    ents, known = prep.ents, prep.known
    unit = pl.when(pl.col("usage_type") == "hours").then(pl.lit("hours")).otherwise(pl.lit("cases"))
    described = ents.select(
        "account_id", "plan", "usage_type", unit.alias("unit"), "allotment", "start_date", "end_date"
    )[i]
    founded = (pl.col("own_days") >= options.min_own_days) | (pl.col("prior_source") != "none")
    parts = [known.drop("_i"), described, pl.DataFrame(figures, nan_to_null=True), pl.DataFrame(dates)]
    return (
        pl.concat(parts, how="horizontal")
        .with_columns(founded.alias("is_founded"))
        .select(*targets.columns, *PROJECTION_COLUMNS)
    )


def _run_out_dates(
    ctx: _Context, post: Posterior, consumed: np.ndarray, allot: np.ndarray, seen: np.ndarray, opts
) -> dict[str, pl.Series]:
    """Median and band run-out dates; the day the allotment was reached when already reached.

    A date is the first day by which the term has run out with that
    probability (consumption never goes down): null when that does not
    happen within the term.
    """
    i = ctx.i
    need = allot - consumed
    reached = ctx.index.day_reached(i, ctx.cut, np.where(np.isnan(allot), np.inf, allot))
    reached = np.where(allot == 0, ctx.arrays.start[i], reached)
    done = ~np.isnan(allot) & (need <= 0)
    zone = ctx.arrays.zone[i]

    def exposure_until(rows: np.ndarray, day: np.ndarray) -> np.ndarray:
        return ctx.season.exposure(ctx.profile[rows], zone[rows], seen[rows] + 1, day)

    names = ("projected_exhaustion_date", "exhaustion_date_p10", "exhaustion_date_p90")
    levels = (0.5, opts.band[0], opts.band[1])
    days = run_out_days(
        post, np.where(np.isnan(need), -1.0, need), levels, seen, ctx.arrays.end[i], exposure_until
    )
    out = {}
    for name, ahead in zip(names, days, strict=True):
        day = pl.Series(name, np.where(done & (reached >= 0), reached, ahead), dtype=pl.Int64)
        out[name] = pl.select(pl.when(day >= 0).then(day).cast(pl.Date).alias(name)).to_series()
    return out
