"""Shared Streamlit pieces: the database, cached marts, sidebar filters and page furniture.

The database (:mod:`entitlement_core.store`): the app holds no connection
between runs. Each run reads the data version from the small file beside the
database (no lock needed); only when it changed are the tables read again,
from a read-only snapshot that is closed straight after. Admin changes and
imports open the file read-write for their one transaction. So the command
line (``import``, ``renew``, ``report``...) works on the same file while the
app runs.

Caching:

- the store is a resource (a handle on the database file, not a connection);
- tables, the intermediate layer (:class:`~entitlement_core.basis.Basis`:
  one per as-of value, computing each result once) and the pages' view
  models are cached as resources keyed by the database file, its data stamp
  (a new import or admin change, here or in another process, changes it, so
  the next run computes afresh) and the as-of value; view models also by the
  filters and the page's own choices. So a page switch with the same filters
  computes nothing again. They are immutable, so sharing one object between
  sessions is safe and avoids the copy ``st.cache_data`` makes on every read.

As of: the sidebar's date is empty by default, meaning **now**: the moment
the session started (or last pressed "Update"), shown in the sidebar and
kept while pages are switched. A date means the end of that day in each
entitlement's own time zone (DOMAIN.md "Consumption rules" 6); it lives in
the URL (``?as_of=2026-06-30``), so a dated view can be shared by link.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import polars as pl
import streamlit as st

from entitlement_core import views
from entitlement_core.asof import AsOf
from entitlement_core.basis import Basis
from entitlement_core.filters import Filters, filter_options
from entitlement_core.settings import Settings
from entitlement_core.staging import Tables, load_tables
from entitlement_core.store import Store, StoreError
from ui.markdown import md

# Table helpers, re-exported for the pages (``common.show``).
from ui.tables import grant_state_config as grant_state_config
from ui.tables import milestone_status_config as milestone_status_config
from ui.tables import show as show
from ui.tables import status_config as status_config
from ui.tables import with_status_pill as with_status_pill

ROOT = Path(__file__).resolve().parent.parent
EMPTY_HINT = "No data yet: run `python -m entitlement_core demo` or import files on the **Data** page."
#: Query-parameter names of the sidebar filters (shareable links).
FILTER_KEYS = {"tier": "tier", "region": "region", "owner": "owner", "plan": "plan", "usage_type": "usage"}
_BUILD_LOCK = threading.Lock()


@dataclass
class Database:
    """The store (a handle on the file) and whether the app builds the demo there.

    It does when it created the file, or when a demo build there never
    finished (the server stopped midway).
    """

    store: Store
    needs_demo: bool
    demo_built: bool = False


@dataclass(frozen=True)
class Context:
    """What every page works with: the as-of value, the filters and the data version."""

    as_of: AsOf
    filters: Filters
    version: int
    path: str
    #: True when the as-of value is the session's "now" (no date chosen).
    is_now: bool = False
    #: The data stamp the caches key on (:meth:`Store.stamp <entitlement_core.store.Store.stamp>`).
    stamp: str = ""

    @property
    def previous_as_of(self) -> AsOf:
        """The same kind of as-of value 30 days earlier (the overview's comparison)."""
        return self.as_of.shifted(-30)

    @property
    def as_of_date(self) -> dt.date:
        """The as-of date (a moment's UTC date): for file names and default dates."""
        return self.as_of.utc_date

    @property
    def as_of_label(self) -> str:
        return f"now ({self.as_of.label})" if self.is_now else self.as_of.label


def settings() -> Settings:
    return Settings()


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    is_new = path != ":memory:" and not Path(path).exists()
    store = Store(path, wait=settings().db_wait_seconds)
    return Database(store, is_new or store.demo_build_unfinished())


def db_path() -> str:
    return str(settings().db_path)


def store() -> Store:
    return _database(db_path()).store


def stop_on_store_error(exc: StoreError) -> NoReturn:
    """Say why the database cannot be used right now, and stop the page."""
    st.error(f"The database cannot be used right now: {md(exc)}", icon=":material/error:")
    st.stop()


T = TypeVar("T")


def guarded(read: Callable[[], T]) -> T:
    """Run a read of the database; a busy or broken database stops the page with its reason."""
    try:
        return read()
    except StoreError as exc:
        stop_on_store_error(exc)


def ensure_database() -> None:
    """Open the database; build the demo (with a progress bar) when the app created the file.

    The demo is built beside the database and takes its place only when
    finished, so a server stopped midway leaves nothing half built.
    """
    try:
        db = _database(db_path())
    except StoreError as exc:
        stop_on_store_error(exc)
    if not db.needs_demo or db.demo_built:
        return
    with _BUILD_LOCK:
        if db.demo_built:
            return
        try:
            from entitlement_core.demo import build_demo
        except ImportError:
            db.demo_built = True
            return
        cases = settings().demo_cases
        with st.status(f"Building the demo database ({cases:,} cases)…", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")

            def progress(done: int, total: int, message: str) -> None:
                bar.progress(min(max(done / total, 0.0), 1.0) if total else 0.0, text=message)

            try:
                # Flagged first: a server stopped during the build builds it again at its next start.
                with db.store.transaction() as con:
                    db.store.mark_demo_build(con, finished=False)
                with db.store.rebuilding() as fresh:
                    build_demo(fresh, cases=cases, today=dt.datetime.now(dt.UTC).date(), progress=progress)
            except StoreError as exc:
                stop_on_store_error(exc)
            status.update(label="Demo database ready", state="complete", expanded=False)
        db.demo_built = True
        invalidate()


def invalidate() -> None:
    """Drop cached tables, intermediate results and views (after an import or admin change here)."""
    _tables.clear()
    _basis.clear()
    _view.clear()
    _options.clear()


@st.cache_resource(max_entries=2, show_spinner="Loading data…")
def _tables(path: str, stamp: str) -> Tables:
    # A snapshot, read whole and closed again: nothing keeps the file open between runs.
    with _database(path).store.reading() as snap:
        return load_tables(snap).collect_all()


def tables(c: Context | None = None) -> Tables:
    c = c or ctx()
    return guarded(lambda: _tables(c.path, c.stamp))


@st.cache_resource(max_entries=8, show_spinner=False)
def _basis(path: str, stamp: str, as_of: AsOf, settings_key: str) -> Basis:
    return Basis(_tables(path, stamp), as_of=as_of, settings=settings())


def basis(c: Context | None = None, *, previous: bool = False) -> Basis:
    """The intermediate layer of the page's data and as-of value (or 30 days earlier), shared and cached."""
    c = c or ctx()
    as_of = c.previous_as_of if previous else c.as_of
    return guarded(lambda: _basis(c.path, c.stamp, as_of, settings().model_dump_json()))


#: View models by name: ``fn(context, **params)``.
_VIEWS: dict[str, Callable[..., Any]] = {
    "overview": lambda c, **p: views.overview_view(basis(c), basis(c, previous=True), filters=c.filters, **p),
    "utilization": lambda c, **p: views.utilization_view(basis(c), filters=c.filters, **p),
    "sla": lambda c, **p: views.sla_view(basis(c), filters=c.filters, **p),
    "upsell": lambda c, **p: views.upsell_view(basis(c), filters=c.filters, **p),
    "renewals": lambda c, **p: views.renewals_view(basis(c), filters=c.filters, **p),
    "revenue": lambda c, **p: views.revenue_view(basis(c), filters=c.filters, **p),
    "account": lambda c, **p: views.account_view(basis(c), **p),
    "health": lambda c, **p: views.data_health(basis(c)),
    "accuracy": lambda c, **p: views.forecast_accuracy(basis(c), **p),
}


@st.cache_resource(max_entries=64, show_spinner="Computing figures…")
def _view(
    path: str, stamp: str, as_of: AsOf, filters: Filters, settings_key: str, name: str, params: tuple
) -> Any:
    c = Context(as_of, filters, 0, path, stamp=stamp)
    return _VIEWS[name](c, **dict(params))


def view(name: str, **params: Any) -> Any:
    """The page's view model (:mod:`entitlement_core.views`), cached by data, as-of value, filters and
    ``params`` (which must be hashable: tuples, not lists)."""
    c = ctx()
    key = tuple(sorted(params.items()))
    return guarded(
        lambda: _view(c.path, c.stamp, c.as_of, c.filters, settings().model_dump_json(), name, key)
    )


def mart(name: str, **params: Any) -> pl.DataFrame:
    """A registered mart (:mod:`entitlement_core.reports`) as of the page's moment, with the filter
    dimensions attached (not filtered)."""
    return views.with_filter_dims(basis(), name, **params)


@st.cache_resource(max_entries=4, show_spinner=False)
def _options(path: str, stamp: str) -> dict[str, list[str]]:
    return filter_options(_tables(path, stamp))


# -- sidebar ---------------------------------------------------------------------


def _clock() -> dt.datetime:
    """The current moment (tests replace it to fix "now")."""
    return dt.datetime.now(dt.UTC)


def _pin_now() -> None:
    st.session_state["_now"] = _clock().replace(second=0, microsecond=0)


def _now() -> dt.datetime:
    """The session's "now": pinned when the session starts, so page switches reuse its figures."""
    if "_now" not in st.session_state:
        _pin_now()
    return st.session_state["_now"]


def _use_now() -> None:
    st.session_state["as_of"] = None
    _pin_now()


def _reset_filters() -> None:
    for key in FILTER_KEYS.values():
        st.session_state[key] = []
    _use_now()


def sidebar() -> Context:
    """Render the as-of value and the shared filters (kept in the URL) and return the page context."""
    path = db_path()
    stamp = store().stamp()
    version = int(stamp.split()[0]) if stamp.split()[0].isdigit() else 0
    options = guarded(lambda: _options(path, stamp))
    with st.sidebar:
        st.markdown("##### View as of")
        day = st.date_input(
            "As of",
            value=None,
            key="as_of",
            bind="query-params",
            label_visibility="collapsed",
            help="Empty: now, the current moment. A date: the end of that day in each entitlement's own "
            "time zone (milestones: their business hours' zone). Nothing later counts.",
            format="YYYY-MM-DD",
        )
        if isinstance(day, dt.date):
            as_of, is_now = AsOf.on(day), False
            st.caption(f"End of {day:%d %b %Y} in each entitlement's time zone.")
            st.button("Back to now", on_click=_use_now, icon=":material/schedule:", type="tertiary")
        else:
            as_of, is_now = AsOf.at(_now()), True
            left, right = st.columns([3, 2], vertical_alignment="center")
            left.caption(f"Now: {_now():%d %b %Y, %H:%M} UTC")
            right.button("Update", on_click=_pin_now, icon=":material/refresh:", type="tertiary",
                         help="Move \"now\" to the current moment and recompute.")  # fmt: skip
        st.markdown("##### Filters")
        labels = {
            "tier": "Tier",
            "region": "Region",
            "owner": "Account owner",
            "plan": "Plan",
            "usage_type": "Usage type",
        }
        chosen = {}
        for dim, key in FILTER_KEYS.items():
            chosen[dim] = st.multiselect(
                labels[dim], options.get(dim, []), key=key, bind="query-params", placeholder="All"
            )
        st.button("Reset filters", on_click=_reset_filters, icon=":material/filter_alt_off:", type="tertiary")
        st.caption(f"Data version {version} · `{Path(path).name}`")
    c = Context(as_of, Filters.of(chosen), version, path, is_now, stamp)
    st.session_state["_ctx"] = c
    return c


def ctx() -> Context:
    c = st.session_state.get("_ctx")
    if c is None:
        c = sidebar()
    return c


# -- page furniture ------------------------------------------------------------


def route_through_app() -> None:
    """Make sure the page runs inside the router (``app.py``).

    Until some session has run ``st.navigation``, Streamlit serves a
    ``pages/`` folder the legacy way: a link straight to a page (a shared
    filtered view, right after the server starts) would run that page alone,
    without the app's layout, sidebar filters and demo database. Such a run
    switches Streamlit to the router and starts over. (``AppTest`` resets
    that switch before every run and replays widget events, which a restart
    would drop: there the page carries on, with the filters from the URL.)
    """
    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not config.get_option("global.appTest"):
        PagesManager.uses_pages_directory = False
        st.rerun()


def header(title: str, subtitle: str) -> Context:
    """Page title, one-line purpose and the as-of / filter summary."""
    route_through_app()
    c = ctx()
    st.title(title)
    chips = [
        f":material/event: As of **{c.as_of_label}**",
        f":material/filter_alt: {c.filters.summary_with(md)}",
    ]
    st.caption(subtitle + "  \n" + " · ".join(chips))
    return c


def has_data() -> bool:
    c = ctx()
    return tables(c).entitlements.select(pl.len()).collect().item() > 0


def require_data() -> None:
    """Stop the page with a helpful empty state when the database has no entitlements."""
    if not has_data():
        st.info(EMPTY_HINT, icon=":material/inbox:")
        st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload:")
        st.stop()


def unavailable(what: str) -> None:
    st.info(f"{what} is not available in this version of the analytics core.", icon=":material/construction:")


def empty(message: str) -> None:
    st.caption(f":material/check_circle: {message}")


def plotly(fig: Any, *, key: str | None = None) -> None:
    st.plotly_chart(
        fig, key=key, config={"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    )


def banner(row: dict[str, Any]) -> None:
    """The agent banner of one utilization row, coloured by its status."""
    text, status = md(row.get("banner") or ""), row.get("status")
    if status in ("exhausted", "over_cap"):
        st.error(text, icon=":material/block:")
    elif status == "near_limit":
        st.warning(text, icon=":material/warning:")
    elif status in ("expired", "not_started"):
        st.info(text, icon=":material/event_busy:")
    else:
        st.success(text, icon=":material/check_circle:")
