"""Word lists of the demo world: company, people and product names.

Fixed lists (never read from disk) keep the demo deterministic: a seed picks
from them, so the same seed always names the same customers.
"""

from __future__ import annotations

__all__ = [
    "COMPANY_WORDS_A",
    "COMPANY_WORDS_B",
    "COMPANY_WORDS_C",
    "FIRST_NAMES",
    "LAST_NAMES",
    "LEGAL_SUFFIX",
    "OWNERS",
    "PRODUCTS",
]

COMPANY_WORDS_A: tuple[str, ...] = (
    "Amber", "Apex", "Arctic", "Atlas", "Aurora", "Azure", "Bay", "Beacon", "Birch", "Blue",
    "Bright", "Cedar", "Cobalt", "Copper", "Coral", "Crescent", "Crystal", "Delta", "Eagle", "Ember",
    "Evergreen", "Falcon", "Fern", "Golden", "Granite", "Harbor", "Hawk", "Horizon", "Iron", "Ivory",
    "Jade", "Juniper", "Lark", "Linden", "Lunar", "Maple", "Meridian", "Nimbus", "Northwind", "Oak",
    "Onyx", "Orchid", "Pacific", "Pine", "Polar", "Quartz", "Raven", "Redwood", "Ridge", "River",
    "Sable", "Sage", "Sierra", "Silver", "Solar", "Spruce", "Sterling", "Summit", "Terra", "Willow",
)  # fmt: skip

COMPANY_WORDS_B: tuple[str, ...] = (
    "Bridge", "Brook", "Canyon", "Cloud", "Crest", "Dale", "Field", "Forge", "Gate", "Grove",
    "Haven", "Hill", "Isle", "Lake", "Leaf", "Light", "Line", "Mark", "Mesa", "Mill",
    "Peak", "Point", "Port", "Rock", "Shore", "Spark", "Spring", "Stone", "Stream", "Vale",
    "View", "Wave", "Wind", "Wood", "Works", "Yard", "Star", "Path", "Park", "Bloom",
)  # fmt: skip

COMPANY_WORDS_C: tuple[str, ...] = (
    "Analytics", "Aerospace", "Bank", "Biotech", "Logistics", "Foods", "Energy", "Health",
    "Insurance", "Labs", "Manufacturing", "Media", "Motors", "Networks", "Pharma", "Retail",
    "Robotics", "Shipping", "Software", "Systems", "Telecom", "Textiles", "Travel", "Utilities",
)  # fmt: skip

#: Legal-form suffix by region (NA, EMEA, APAC, LATAM).
LEGAL_SUFFIX: dict[str, tuple[str, ...]] = {
    "NA": ("Inc.", "LLC", "Corp."),
    "EMEA": ("GmbH", "Ltd", "AG", "S.A.", "B.V."),
    "APAC": ("Pte Ltd", "Pty Ltd", "K.K.", "Ltd"),
    "LATAM": ("S.A.", "Ltda.", "S.A. de C.V."),
}

#: Account managers by region: the ``owner`` of an account.
OWNERS: dict[str, tuple[str, ...]] = {
    "NA": ("Megan Carter", "Daniel Brooks", "Priya Raman", "Jordan Mitchell"),
    "EMEA": ("Sophie Müller", "Lukas Schneider", "Chloé Martin", "Oliver Hughes"),
    "APAC": ("Kenji Watanabe", "Aisha Tan"),
    "LATAM": ("Camila Rojas", "Mateo Fernández"),
}

FIRST_NAMES: tuple[str, ...] = (
    "Adam", "Aiko", "Alex", "Amara", "Ana", "Ben", "Carla", "Chen", "Clara", "David",
    "Diego", "Elena", "Emma", "Farah", "Felix", "Grace", "Hannah", "Hiro", "Isabel", "Jack",
    "James", "Julia", "Karim", "Laura", "Leo", "Lina", "Lucas", "Maria", "Mark", "Mei",
    "Nadia", "Noah", "Olivia", "Omar", "Paul", "Rosa", "Ryan", "Sara", "Tom", "Yusuf",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Adams", "Bauer", "Becker", "Chen", "Costa", "Davis", "Dubois", "Evans", "Fischer", "Garcia",
    "Gomez", "Hall", "Ito", "Jensen", "Kim", "Klein", "Kumar", "Lee", "Lopez", "Meyer",
    "Moreau", "Nakamura", "Novak", "Olsen", "Patel", "Perez", "Rossi", "Santos", "Sato", "Schmidt",
    "Silva", "Singh", "Smith", "Taylor", "Wagner", "Walker", "Weber", "Wilson", "Young", "Zhang",
)  # fmt: skip

#: Products a customer runs (assets); the first ones are the most common.
PRODUCTS: tuple[str, ...] = (
    "Atlas Server X2",
    "Atlas Server X1",
    "Nimbus Storage Array",
    "Orbit Edge Gateway",
    "Beacon Analytics Suite",
    "Harbor Backup Appliance",
    "Pulse Network Switch",
    "Sentinel Security Gateway",
)
