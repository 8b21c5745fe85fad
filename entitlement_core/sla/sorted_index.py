"""Exact vectorised as-of lookups on a small sorted array, for many queries.

``np.searchsorted`` costs a binary search per query (about 70 ns over a few
thousand values, branch mispredictions included). The calendar's keys are
spread evenly (at most a few interval starts per day), so direct-addressed
buckets answer almost every query in one gather plus a step or two.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["SortedIndex"]

_BIG = np.iinfo(np.int64).max // 4
#: Refinement steps tried before falling back to a binary search for the rest.
_MAX_STEPS = 4


class SortedIndex:
    """``np.searchsorted(values, q, side)`` for non-negative int64 queries, by buckets.

    Bucket ``b`` covers ``[b * width, (b + 1) * width)``; ``first[b]`` is the
    answer at the bucket's lower edge, from which an answer moves forward
    by at most the bucket's element count. ``steps`` vectorised passes settle
    every query when no bucket holds more than ``_MAX_STEPS`` values; any
    query left over takes a binary search.

    Examples
    --------
    >>> index = SortedIndex(np.array([10, 20, 20, 35]), width=10, side="right")
    >>> index.search(np.array([0, 10, 25, 99])).tolist()
    [0, 1, 3, 4]
    """

    def __init__(self, values: np.ndarray, *, width: int, side: Literal["left", "right"]) -> None:
        self.values = np.ascontiguousarray(values, dtype=np.int64)
        self.width = max(int(width), 1)
        self.side = side
        top = int(self.values[-1]) if len(self.values) else 0
        self.buckets = max(top, 0) // self.width + 2
        edges = np.arange(self.buckets, dtype=np.int64) * self.width
        self.first = np.searchsorted(self.values, edges, side=side).astype(np.int64)
        counts = np.diff(np.append(self.first, len(self.values)))
        self.steps = int(counts.max()) if len(counts) else 0
        self.padded = np.append(self.values, _BIG).astype(np.int64)

    def search(
        self, q: np.ndarray, scratch: np.ndarray | None = None, moved: np.ndarray | None = None
    ) -> np.ndarray:
        """Insertion points of the queries ``q`` (int64, >= 0).

        ``scratch``, an int64 array like ``q``, and ``moved``, a Boolean one,
        are overwritten (they save allocations on large inputs).
        """
        scratch = np.empty_like(q) if scratch is None else scratch
        np.floor_divide(q, self.width, out=scratch)
        # mode="clip" puts queries above the last bucket in it (answer: all values).
        j = np.take(self.first, scratch, mode="clip")
        ahead = np.less_equal if self.side == "right" else np.less
        moved = np.empty(q.shape, dtype=bool) if moved is None else moved
        for _ in range(min(self.steps, _MAX_STEPS)):
            np.take(self.padded, j, mode="clip", out=scratch)
            ahead(scratch, q, out=moved)
            j += moved
        if self.steps > _MAX_STEPS:
            todo = np.flatnonzero(ahead(np.take(self.padded, j, mode="clip"), q))
            if len(todo):
                j[todo] = np.searchsorted(self.values, q[todo], side=self.side)
        return j
