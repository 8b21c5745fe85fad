"""The forecaster's options: one frozen object, every default explained."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_OPTIONS", "ForecastOptions"]


@dataclass(frozen=True, kw_only=True)
class ForecastOptions:
    """How the forecaster weighs history and reports uncertainty.

    Attributes
    ----------
    seasonality
        Fit weekly and yearly factors (False: every day weighs the same).
    history_days
        The days before the cut-off whose history (earlier terms, sibling
        entitlements) counts towards the prior: a year, so that the prior of
        a new term is its customer's last year and, as its own days grow,
        the earlier terms' share shrinks.
    chain_weight
        How much a day of an earlier term of the renewal chain counts
        towards the prior, against a day of the term's own history (1:
        the customer's earlier pace is as telling as its current one).
    account_weight
        The same for the account's other entitlements of the same usage
        type (0.5: a sibling contract tells about half as much).
    min_cohort
        Entitlements a cohort needs for its spread to be measured; a smaller
        cohort gives a vague prior (its rates' spread taken as large as their mean).
    min_cv
        The least spread (coefficient of variation) of true rates within a
        cohort: keeps a very uniform cohort from overruling years of own history.
    min_own_days
        Days of own history below which a projection with no prior at all
        (``prior_source = "none"``) is not *founded* (``is_founded``).
    band
        The lower and upper quantiles of the interval (10th and 90th percentile).
    run_out_probability
        The probability of running out from which an entitlement is
        *predicted* to run out (the backtest's precision and recall use it).
    shrink
        Pseudo-units pulling each seasonal factor towards 1.
    """

    seasonality: bool = True
    history_days: int = 365
    chain_weight: float = 1.0
    account_weight: float = 0.5
    min_cohort: int = 5
    min_cv: float = 0.1
    min_own_days: int = 21
    band: tuple[float, float] = (0.1, 0.9)
    run_out_probability: float = 0.5
    shrink: float = 100.0

    def __post_init__(self) -> None:
        low, high = self.band
        if not 0 < low < 0.5 < high < 1:
            raise ValueError(f"band must be two quantiles around the median, got {self.band}")
        if not 0 < self.run_out_probability < 1:
            raise ValueError("run_out_probability must be between 0 and 1")
        if min(self.chain_weight, self.account_weight, self.min_cv, self.shrink) < 0:
            raise ValueError("weights, min_cv and shrink must not be negative")
        if self.min_cohort < 2 or self.min_own_days < 0 or self.history_days < 1:
            raise ValueError(
                "min_cohort must be at least 2, min_own_days not negative, history_days positive"
            )


DEFAULT_OPTIONS = ForecastOptions()
