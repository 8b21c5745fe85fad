"""Units, zones and money said plainly: durations in days and hours, zones and currency named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.display import duration_text
from tests.app.test_pages import _no_exception


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1441513.0, "1001 d 1 h"),
        (1440.0, "1 d 0 h"),
        (185.0, "3 h 5 min"),
        (45.4, "45 min"),
        (-125.0, "-2 h 5 min"),
        (0.0, "0 min"),
        (None, None),
    ],
)
def test_duration_text(minutes: float | None, text: str | None) -> None:
    frame = pl.DataFrame({"m": [minutes]}, schema={"m": pl.Float64})
    assert frame.select(duration_text("m")).item() == text


def test_sla_lists_read_in_days_and_hours_with_the_zone_named(app: Callable, demo_db: Path) -> None:
    at = app(demo_db, "pages/sla.py", env={"ENTITLEMENTS_DISPLAY_TIMEZONE": "Europe/Berlin"})
    _no_exception(at)
    violations = next(d for d in at.dataframe if "overrun_minutes" in d.value.columns)
    late = [v for v in violations.value["overrun_minutes"] if v]
    assert late and all(v.rstrip().endswith(("h", "min")) for v in late)
    assert "Started (Europe/Berlin)" in str(violations.proto)  # the column config names the zone
