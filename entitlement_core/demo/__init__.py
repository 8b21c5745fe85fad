"""Demo data: a seeded, realistic support organisation written into the native tables.

``build_demo(store, cases=50_000, seed=7, today=...)`` replaces the store's
content with accounts, plans, calendars, SLA processes, entitlements over
several yearly terms (renewals linked), cases and time entries, and usage
management: resources, top-up packs, monetary commitments and metered API
calls with their anchor grants. Same seed and same ``today`` give identical
data; large builds stream in chunks.
"""

from __future__ import annotations

from .build import Progress, build_demo, generate_demo
from .options import DEFAULT_CHUNK_SIZE, DemoOptions, DemoSummary

__all__ = ["DEFAULT_CHUNK_SIZE", "DemoOptions", "DemoSummary", "Progress", "build_demo", "generate_demo"]
