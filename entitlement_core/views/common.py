"""What the view models share: marts with the filter dimensions, filtered; the as-of month."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import polars as pl

from ..asof import AsOf
from ..filters import Filters, with_dims
from ..reports import MARTS

if TYPE_CHECKING:
    from ..basis import Basis

__all__ = ["filtered", "forecasted", "month_start", "with_filter_dims"]


def with_filter_dims(basis: Basis, name: str, **params: Any) -> pl.DataFrame:
    """Mart ``name`` of ``basis`` with the filter dimensions it lacks (by its entitlement, else account)."""
    frame = basis.mart(name, **params)
    return with_dims(frame, basis.entitlement_dims, key=MARTS[name].key)


def filtered(basis: Basis, name: str, filters: Filters, **params: Any) -> pl.DataFrame:
    """Mart ``name`` of ``basis``, with dimensions, keeping the rows ``filters`` select."""
    return filters.apply(with_filter_dims(basis, name, **params))


def forecasted(basis: Basis, filters: Filters) -> pl.DataFrame:
    """The utilization mart with the forecast's figures (every page shows the forecast), filtered."""
    from ..usage.utilization import utilization_forecast

    return filters.apply(with_dims(utilization_forecast(basis), basis.entitlement_dims, key="entitlement_id"))


def month_start(as_of: AsOf) -> dt.date:
    """The first day of the as-of value's month (a moment's: of its UTC date): "this month" starts there."""
    return as_of.utc_date.replace(day=1)
