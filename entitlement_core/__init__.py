"""Entitlement analytics core: store, imports, usage and SLA analytics (no UI).

The public surface is listed in ``__all__``; everything else is internal.
Analytics are pure functions of :class:`Tables` (typed Polars LazyFrames) and
an ``as_of`` moment; the store and the importers sit at the edges.
"""

from .problems import Problem, ProblemsError
from .schema import TABLES
from .settings import Settings, Thresholds, load_settings
from .staging import Tables, load_tables
from .store import DEFAULT_DB_PATH, SCHEMA_VERSION, Store, StoreBusy, StoreError, open_store

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
