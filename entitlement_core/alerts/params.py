"""A rule's keys per record: the rule's value, or the first matching override's (plan, tier, owner).

Vectorised: each key becomes one column, a ``when/then`` chain over the
overrides (a handful, from the rules file), never a loop over records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from .rules import MATCH_FIELDS, RuleSet

__all__ = ["PARAM_TYPES", "with_params"]


#: The type of each rule key as a column (an unset key is a typed null).
PARAM_TYPES: dict[str, Any] = {
    "enabled": pl.Boolean,
    "notify": pl.List(pl.String),
    "webhook_format": pl.String,
    "email": pl.List(pl.String),
    "within_days": pl.Int64,
    "min_probability": pl.Float64,
    "minutes_before": pl.Float64,
    "lookback_hours": pl.Float64,
    "threshold_minutes": pl.Float64,
    "lookback_days": pl.Int64,
}


def _literal(value: Any, name: str) -> pl.Expr:
    dtype = PARAM_TYPES[name]
    return pl.lit(list(value) if isinstance(value, tuple) else value, dtype=dtype)


def _matches(override: Any) -> pl.Expr:
    expr = pl.lit(True)
    for name in MATCH_FIELDS:
        wanted = getattr(override, name)
        if wanted is not None:
            expr = expr & pl.col(name).is_in(list(wanted)).fill_null(False)
    return expr


def _param(rule_id: str, rule: Any, name: str) -> pl.Expr:
    """One key of a rule per record: the first matching override's value, else the rule's."""
    return _chain(rule, name, lambda source, _: _literal(getattr(source, name), name))


def _webhook(rule_id: str, rule: Any) -> pl.Expr:
    """Which webhook (a label resolved at sending time, never the URL: URLs may hold secrets)."""

    def label(source: Any, index: int | None) -> pl.Expr:
        if source.webhook_url is None:
            return pl.lit("default")
        return pl.lit(f"rules.{rule_id}" + ("" if index is None else f".overrides[{index}]"))

    return _chain(rule, "webhook_url", label)


def _chain(rule: Any, name: str, value: Callable[[Any, int | None], pl.Expr]) -> pl.Expr:
    overrides = [(i, o) for i, o in enumerate(rule.overrides) if getattr(o, name) is not None]
    base = value(rule, None)
    if not overrides:
        return base
    i, first = overrides[0]
    expr = pl.when(_matches(first)).then(value(first, i))
    for i, o in overrides[1:]:
        expr = expr.when(_matches(o)).then(value(o, i))
    return expr.otherwise(base)


def with_params(frame: pl.LazyFrame, rule_id: str, rules: RuleSet, params: tuple[str, ...]) -> pl.LazyFrame:
    rule = rules.rule(rule_id)
    routes = {
        "enabled": _param(rule_id, rule, "enabled"),
        "notify": _param(rule_id, rule, "notify"),
        "webhook": _webhook(rule_id, rule),
        "webhook_format": _param(rule_id, rule, "webhook_format"),
        "email": _param(rule_id, rule, "email"),
    }
    own = {f"p_{name}": _param(rule_id, rule, name) for name in params}
    return frame.with_columns(**routes, **own).filter(pl.col("enabled"))
