"""Priors: what a term's history says about its rate before its own days are counted.

The prior of a term is a gamma distribution of its rate (in lumps per
average day, :mod:`.evidence`), built in two layers:

1. the *cohort prior*: the rates of the other terms of its plan (all
   entitlements of its usage type when the plan has fewer than
   ``min_cohort`` of them, or no plan). Completed terms are preferred (a
   whole term's pace is measured well; one in progress is young and noisy);
   terms in progress count too while fewer than ``min_cohort`` have
   completed. The gamma is fitted by the Buhlmann-Straub estimator of
   credibility theory: the spread of the rates beyond what chance alone
   would give. A cohort whose customers are alike gives a strong prior,
   a spread-out one a weak one;
2. the *history*: the evidence of the earlier terms of its renewal chain
   (weight ``chain_weight``) and of the account's other entitlements of the
   same usage type (``account_weight``) over the ``history_days`` before
   the cut-off, added to the cohort prior as if they were the term's own.

Everything is read up to the cut-off only; the cohort from the complete
months before it (its profile date).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .evidence import DailyIndex, EntitlementArrays, exposure_of
from .options import ForecastOptions
from .seasonality import Seasonality

__all__ = ["cohort_prior_of", "cohort_table", "credibility_prior", "history_evidence"]


def credibility_prior(min_members: int, min_cv: float) -> tuple[pl.Expr, pl.Expr]:
    """Buhlmann-Straub gamma prior ``(alpha, beta)`` of a cohort's rates, from its sums.

    Expressions over the columns ``members`` (entitlements), ``k`` (sum of
    their lumps), ``e`` (sum of their exposures), ``k2e`` (sum of ``k_j^2 /
    e_j``) and ``e2`` (sum of ``e_j^2``). The mean rate ``m = k / e`` is
    pooled; the variance of the true rates ``tau^2`` is what the weighted
    spread of the entitlements' rates shows beyond Poisson noise, at least
    ``(min_cv * m)^2``; with fewer than ``min_members`` entitlements it is
    ``m^2`` (a vague prior). Then ``alpha = m^2 / tau^2`` and ``beta = m /
    tau^2``: the prior weighs as much as ``beta`` average days of own
    history. No consumption at all: half a lump over an average member's exposure.
    """
    n, k, e = pl.col("members"), pl.col("k"), pl.col("e")
    m = k / e
    spread = pl.col("k2e") - m * k - (n - 1) * m
    tau2 = spread / (e - pl.col("e2") / e)
    tau2 = (
        pl.when(n < min_members)
        .then(m**2)
        .otherwise(pl.max_horizontal(tau2.fill_nan(0.0), (min_cv * m) ** 2))
    )
    alpha = pl.when(k > 0).then(m**2 / tau2).otherwise(0.5)
    beta = pl.when(k > 0).then(m / tau2).otherwise(e / n)
    return alpha, beta


def _members(
    ents: pl.DataFrame, season: Seasonality, index: DailyIndex, arrays: EntitlementArrays, lump: np.ndarray
) -> pl.DataFrame:
    """Every entitlement's evidence at every profile date.

    Grain: one row per (profile, entitlement) with exposure before the profile date.
    """
    n_p, n_e = season.profile_dates.size, ents.height
    p = np.repeat(np.arange(n_p), n_e)
    j = np.tile(np.arange(n_e), n_p)
    last = season.profile_dates[p] - 1
    units = index.units(j, last)
    exposure, _ = exposure_of(season, p, arrays.zone[j], arrays.start[j], arrays.end[j], last)
    keys = ents.select(
        pl.format("plan:{}:{}", "usage_type", "plan").alias("_plan"),
        pl.format("type:{}", "usage_type").alias("_type"),
    )
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "profile": p,
                    "_j": j,
                    "lumps": units / np.where(arrays.is_hours[j], lump[p], 1.0),
                    "exposure": exposure,
                    "_ended": arrays.end[j] <= last,
                }
            ),
            keys[j],
        ],
        how="horizontal",
    ).filter(pl.col("exposure") > 0)


#: Where a cohort prior is looked for, first found wins: (group, members needed besides the target).
#: A plan's completed terms, its terms, any of its terms (a vague prior below ``min_cohort``);
#: without a plan, the same over the usage type.
_LEVELS = (("_plan", "|ended", "min"), ("_plan", "|all", "min"), ("_plan", "|all", 1),
           ("_type", "|ended", "min"), ("_type", "|all", 1))  # fmt: skip


def _sums(rows: pl.DataFrame) -> list[pl.Expr]:
    e, k = pl.col("exposure"), pl.col("lumps")
    return [pl.len().alias("members"), k.sum().alias("k"), e.sum().alias("e"),
            (k**2 / e).sum().alias("k2e"), (e**2).sum().alias("e2")]  # fmt: skip


def cohort_table(
    ents: pl.DataFrame, season: Seasonality, index: DailyIndex, arrays: EntitlementArrays, lump: np.ndarray
) -> pl.DataFrame:
    """Cohort sums per (profile, group), and each entitlement's own share of them.

    Groups: ``plan:<usage type>:<plan>`` and ``type:<usage type>``, each
    suffixed ``|ended`` (completed terms before the profile date) or
    ``|all`` (every term started before it, up to it). ``lump``: lump size
    of hours per profile. Returns ``profile, group, members, k, e, k2e, e2``.
    """
    if ents.height == 0:
        sums = {"members": pl.UInt32, **dict.fromkeys(("k", "e", "k2e", "e2"), pl.Float64)}
        return pl.DataFrame(schema={"profile": pl.Int64, "group": pl.String, **sums})
    members = _members(ents, season, index, arrays, lump)
    parts = []
    for level, suffix in dict.fromkeys((lv, sf) for lv, sf, _ in _LEVELS):
        rows = members.filter(pl.col(level).is_not_null())
        if suffix == "|ended":
            rows = rows.filter(pl.col("_ended"))
        parts.append(rows.group_by("profile", (pl.col(level) + suffix).alias("group")).agg(_sums(rows)))
    return pl.concat(parts)


def cohort_prior_of(
    targets: pl.DataFrame,
    own: pl.DataFrame,
    sums: pl.DataFrame,
    options: ForecastOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each target's cohort prior ``(has_cohort, alpha, beta)``, leaving the target itself out.

    The first of: its plan's completed terms, its plan's terms (each with
    at least ``min_cohort`` members besides itself), its plan's terms (any:
    a vague prior). A term without a plan: the same over its usage type
    (a plan is a size class: another plan's pace says little). None at all:
    a vague prior (half a unit worth no days), so its own history alone decides.

    ``targets``: ``usage_type, plan``; ``own``: ``profile`` (of each
    target), ``lumps, exposure, ended`` (the target's own evidence at its
    profile date, which the cohort sums include when ``exposure > 0``).
    """
    alpha_expr, beta_expr = credibility_prior(options.min_cohort, options.min_cv)
    keyed = pl.concat(
        [
            targets.select(
                pl.format("plan:{}:{}", "usage_type", "plan").alias("_plan"),
                pl.when(pl.col("plan").is_null()).then(pl.format("type:{}", "usage_type")).alias("_type"),
            ),
            own.select(pl.col("profile").cast(pl.Int64), "lumps", "exposure", "ended"),
        ],
        how="horizontal",
    )
    alphas, betas = [], []
    for level, suffix, needed in _LEVELS:
        counted = (pl.col("exposure") > 0) & (pl.col("ended") if suffix == "|ended" else pl.lit(True))
        mine = pl.when(pl.col("_in"))
        others = (
            keyed.select(
                "profile", (pl.col(level) + suffix).alias("group"), "lumps", "exposure", counted.alias("_in")
            )
            .join(sums, on=["profile", "group"], how="left", maintain_order="left")
            .with_columns(
                (pl.col("members") - pl.col("_in").cast(pl.UInt32)).alias("members"),
                (pl.col("k") - mine.then(pl.col("lumps")).otherwise(0.0)).alias("k"),
                (pl.col("e") - mine.then(pl.col("exposure")).otherwise(0.0)).alias("e"),
                (pl.col("k2e") - mine.then(pl.col("lumps") ** 2 / pl.col("exposure")).otherwise(0.0)).alias(
                    "k2e"
                ),
                (pl.col("e2") - mine.then(pl.col("exposure") ** 2).otherwise(0.0)).alias("e2"),
            )
        )
        enough = pl.col("members") >= (options.min_cohort if needed == "min" else needed)
        usable = enough & (pl.col("e") > 1e-9)
        picked = others.select(
            pl.when(usable).then(alpha_expr).alias("a"), pl.when(usable).then(beta_expr).alias("b")
        )
        alphas.append(picked.get_column("a"))
        betas.append(picked.get_column("b"))
    alpha = pl.select(pl.coalesce(alphas)).to_series()
    beta = pl.select(pl.coalesce(betas)).to_series()
    has = alpha.is_not_null().to_numpy()
    return (
        has,
        np.where(has, alpha.fill_null(0.0).to_numpy(), 0.5),
        np.where(has, beta.fill_null(0.0).to_numpy(), 0.0),
    )


def history_evidence(
    targets: pl.DataFrame,
    ents: pl.DataFrame,
    kind: str,
    where: tuple[Seasonality, DailyIndex, EntitlementArrays, np.ndarray, np.ndarray],
    options: ForecastOptions,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted units and exposure of each target's chain (``kind="chain"``) or account siblings.

    ``targets`` carries ``_t, _i, account_id, usage_type, chain_root_id,
    term_index``. Chain: the earlier terms of the same renewal chain and
    usage type. Account: the account's other entitlements of the same usage
    type outside the chain. Only the ``history_days`` up to each cut-off count.
    """
    season, index, arrays, cut, profile = where
    weight = options.chain_weight if kind == "chain" else options.account_weight
    n = targets.height
    if weight == 0 or n == 0:
        return np.zeros(n), np.zeros(n)
    src = ents.select(
        pl.col("_i").alias("_j"), "account_id", "usage_type", "chain_root_id",
        pl.col("term_index").alias("_j_index"),
    )  # fmt: skip
    mine = targets.select("_t", "_i", "account_id", "usage_type", "chain_root_id", "term_index")
    if kind == "chain":
        pairs = mine.join(src.drop("account_id"), on=["chain_root_id", "usage_type"]).filter(
            pl.col("_j_index") < pl.col("term_index")
        )
    else:
        pairs = mine.join(src, on=["account_id", "usage_type"]).filter(
            (pl.col("_j") != pl.col("_i")) & (pl.col("chain_root_id_right") != pl.col("chain_root_id"))
        )
    tt = pairs.get_column("_t").to_numpy()
    j = pairs.get_column("_j").cast(pl.Int64).to_numpy()
    first = np.maximum(arrays.start[j], cut[tt] - options.history_days + 1)
    units = index.units(j, cut[tt]) - index.units(j, first - 1)
    exposure, _ = exposure_of(season, profile[tt], arrays.zone[j], first, arrays.end[j], cut[tt])
    total = lambda v: np.bincount(tt, weights=v, minlength=n) if tt.size else np.zeros(n)  # noqa: E731
    return weight * total(units), weight * total(exposure)
