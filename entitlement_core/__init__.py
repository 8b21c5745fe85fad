"""Entitlement analytics core: store, imports, usage and SLA analytics (no UI).

The public surface is listed in ``__all__``; everything else is internal.
Analytics are pure functions of :class:`Tables` (typed Polars LazyFrames) and
an ``as_of`` value; the store and the importers sit at the edges.

The names below are imported on first use, so that importing a Polars-only
part of the core (:mod:`entitlement_core.kernels`, run by an engine's
workers) does not load the database or the validation models.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "DEFAULT_DB_PATH",
    "SCHEMA_VERSION",
    "TABLES",
    "Problem",
    "ProblemsError",
    "Settings",
    "Store",
    "StoreBusy",
    "StoreError",
    "Tables",
    "Thresholds",
    "load_settings",
    "load_tables",
    "open_store",
]

_WHERE = {
    "DEFAULT_DB_PATH": "store",
    "SCHEMA_VERSION": "store",
    "Store": "store",
    "StoreBusy": "store",
    "StoreError": "store",
    "open_store": "store",
    "TABLES": "schema",
    "Problem": "problems",
    "ProblemsError": "problems",
    "Settings": "settings",
    "Thresholds": "settings",
    "load_settings": "settings",
    "Tables": "staging",
    "load_tables": "staging",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
