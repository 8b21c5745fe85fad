"""Admin pickers are keyed by record id: a write lands on the record the user chose.

The pickers' labels carry live figures (an entitlement's status), which
change with every write. The selection must not: submitting the same choice
again writes to the same record, never to whatever record comes first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from entitlement_core.store import Store
from tests.app.test_pages import ADMIN_ENV, PASSWORD

CREATE = "FormSubmitter:create_ent-Create entitlement"
RECORD = "FormSubmitter:record_case-Record case"
EDIT = "FormSubmitter:edit-Save changes"


def _no_exception(at: object) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _sign_in(app: Callable, db: Path) -> object:
    at = app(db, "pages/admin.py", env=ADMIN_ENV)
    at.text_input(key="signin_name").input("Dana")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    _no_exception(at)
    return at


def _create_blocking_entitlement(at: object, name: str) -> str:
    """Create, through the form, an entitlement with a cap of 2 and overflow 'block' covering today."""
    today = dt.datetime.now(dt.UTC).date()
    at.selectbox(key="ce_account").set_value(at.selectbox(key="ce_account").options[0].split(" · ")[0])
    at.text_input(key="ce_name").input(name)
    at.date_input(key="ce_start").set_value(today - dt.timedelta(days=30))
    at.date_input(key="ce_end").set_value(today + dt.timedelta(days=300))
    at.number_input(key="ce_cap").set_value(2.0)
    at.selectbox(key="ce_overflow").set_value("block")
    at.button(key=CREATE).click().run()
    _no_exception(at)
    created = [s.value for s in at.success if "Created entitlement" in s.value]
    assert created, [s.value for s in at.success]
    return created[0].split("Created entitlement ")[1].split(" ")[0].replace("\\", "")


def _cases(db: Path) -> dict[str, int]:
    with Store(db) as store:
        rows = store.query(
            "SELECT entitlement_id, count(*) AS n FROM cases WHERE case_id LIKE 'CASE-%' GROUP BY 1"
        )
    return dict(rows.iter_rows())


def test_record_case_three_times_lands_on_the_chosen_entitlement(app: Callable, fresh_demo_db: Path) -> None:
    at = _sign_in(app, fresh_demo_db)
    ent = _create_blocking_entitlement(at, "Picker test")
    # The new entitlement is offered at once (fresh options after the write).
    assert ent in at.selectbox(key="rc_ent").options or ent in [
        o.split(" · ")[0] for o in at.selectbox(key="rc_ent").options
    ]
    at.selectbox(key="rc_ent").set_value(ent)
    outcomes = []
    for _ in range(3):
        at.button(key=RECORD).click().run()
        _no_exception(at)
        outcomes.append([m.value for m in (*at.success, *at.error)])
        assert at.selectbox(key="rc_ent").value == ent
    assert _cases(fresh_demo_db) == {ent: 2}, outcomes
    assert any("Refused" in e.value and "'block'" in e.value for e in at.error), outcomes


def _seed_blocking_entitlement(db: Path) -> str:
    """An entitlement with a cap of 2 and overflow 'block' whose term covers today, made in the store."""
    from entitlement_core import admin

    today = dt.datetime.now(dt.UTC).date()
    with Store(db) as store:
        account = store.query("SELECT account_id FROM accounts ORDER BY account_id DESC LIMIT 1").item()
        return admin.create_entitlement(
            store,
            {
                "entitlement_id": "E-PICKED",
                "account_id": account,
                "usage_type": "cases",
                "cap": 2,
                "start_date": today - dt.timedelta(days=30),
                "end_date": today + dt.timedelta(days=300),
                "overflow": "block",
            },
            actor="test",
        ).record_id


def test_the_third_case_is_refused_not_written_to_another_entitlement(
    app: Callable, fresh_demo_db: Path
) -> None:
    """The fault as reported: the status in the picker's label changes after each case, and the
    third submission used to land on the first entitlement of the list (E000001)."""
    ent = _seed_blocking_entitlement(fresh_demo_db)
    at = _sign_in(app, fresh_demo_db)
    at.selectbox(key="rc_ent").set_value(ent)
    for _ in range(3):
        at.button(key=RECORD).click().run()
        _no_exception(at)
    assert _cases(fresh_demo_db) == {ent: 2}
    assert any("Refused" in e.value and "'block'" in e.value for e in at.error)


def test_edit_saves_to_the_chosen_entitlement_every_time(app: Callable, fresh_demo_db: Path) -> None:
    at = _sign_in(app, fresh_demo_db)
    ent = _create_blocking_entitlement(at, "Edit target")
    at.selectbox(key="ed_ent").set_value(ent)
    for i in range(3):
        at.text_input(key="ed_name").input(f"Renamed {i}")
        at.button(key=EDIT).click().run()
        _no_exception(at)
        assert at.selectbox(key="ed_ent").value == ent
    with Store(fresh_demo_db) as store:
        names = dict(store.query("SELECT entitlement_id, name FROM entitlements").iter_rows())
        first = store.query("SELECT entitlement_id FROM entitlements ORDER BY 1 LIMIT 1").item()
    assert names[ent] == "Renamed 2"
    assert not names[first].startswith("Renamed")
