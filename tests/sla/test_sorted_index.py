"""The bucketed as-of lookup equals np.searchsorted, including crowded buckets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entitlement_core.sla.sorted_index import SortedIndex


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(0, 10_000), max_size=60),
    queries=st.lists(st.integers(0, 12_000), min_size=1, max_size=60),
    width=st.integers(1, 3_000),
    side=st.sampled_from(["left", "right"]),
)
def test_matches_searchsorted(values: list[int], queries: list[int], width: int, side: str) -> None:
    array = np.sort(np.array(values, dtype=np.int64))
    q = np.array(queries, dtype=np.int64)
    index = SortedIndex(array, width=width, side=side)  # type: ignore[arg-type]
    assert index.search(q).tolist() == np.searchsorted(array, q, side=side).tolist()  # type: ignore[call-overload]


@pytest.mark.parametrize("side", ["left", "right"])
def test_crowded_bucket_falls_back_to_binary_search(side: str) -> None:
    array = np.arange(100, dtype=np.int64)  # 100 values in one bucket
    index = SortedIndex(array, width=1_000, side=side)  # type: ignore[arg-type]
    assert index.steps > 4  # more than the vectorised steps try
    q = np.array([0, 5, 50, 99, 100, 5_000], dtype=np.int64)
    assert index.search(q).tolist() == np.searchsorted(array, q, side=side).tolist()  # type: ignore[call-overload]
