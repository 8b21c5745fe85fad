"""Reconciliation with Salesforce's remaining-cases counter: differences and likely causes."""

from __future__ import annotations

from entitlement_core.usage import reconciliation

from .factories import at, basis, case, cases, ent, tables

JUNE = at("2026-06-01T00:00Z")


def test_likely_causes():
    def in_term(eid, n, deleted=0):
        rows = cases(n, entitlement_id=eid, prefix=f"{eid}-")
        for r in rows[:deleted]:
            r["is_deleted"] = True
        return rows

    def before_term(eid, n):
        return [case(f"{eid}-old{i}", f"2025-12-{10 + i}T10:00Z", entitlement_id=eid) for i in range(n)]

    t = tables(
        entitlements=[
            # 9 cases, 2 deleted: remaining 1; Salesforce stopped counting the deleted: 3.
            ent("E1", crm_remaining_cases=3.0),
            # 5 in term and 2 before it: remaining 5; Salesforce counted all 7: 3.
            ent("E2", crm_remaining_cases=3.0),
            # Agrees: not listed.
            ent("E3", crm_remaining_cases=5.0),
            # Nothing explains it.
            ent("E4", crm_remaining_cases=8.0),
            # 1 deleted, 2 out of term: remaining 5; Salesforce 5 + 1 - 2 = 4.
            ent("E5", crm_remaining_cases=4.0),
            # No Salesforce counter: not listed.
            ent("E6"),
            # Salesforce counter but no cap here.
            ent("E7", cap=None, crm_remaining_cases=2.0),
        ],
        cases=[
            *in_term("E1", 9, deleted=2),
            *in_term("E2", 5),
            *before_term("E2", 2),
            *in_term("E3", 5),
            *in_term("E4", 5),
            *in_term("E5", 5, deleted=1),
            *before_term("E5", 2),
            *in_term("E6", 5),
        ],
    )
    out = reconciliation(basis(t, JUNE))
    rows = out.select(
        "entitlement_id",
        "remaining",
        "crm_remaining_cases",
        "difference",
        "deleted_cases",
        "out_of_term_cases",
        "likely_cause",
    ).rows()
    assert sorted(rows) == [
        ("E1", 1.0, 3.0, 2.0, 2, 0, "deleted cases"),
        ("E2", 5.0, 3.0, -2.0, 0, 2, "cases outside term"),
        ("E4", 5.0, 8.0, 3.0, 0, 0, "manual edit"),
        ("E5", 5.0, 4.0, -1.0, 1, 2, "deleted cases and cases outside term"),
        ("E7", None, 2.0, None, 0, 0, "no cap"),
    ]
    # Largest disagreement first.
    assert out.get_column("entitlement_id").to_list()[0] == "E4"
