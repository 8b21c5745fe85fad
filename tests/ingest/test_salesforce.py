"""Salesforce exports onto the native tables: every mapping rule, reading, errors, and a full import."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from entitlement_core.ingest import detect_format, import_path, import_tables
from entitlement_core.ingest.mapping import SalesforceMapping, load_mapping
from entitlement_core.ingest.raw import LINE, RawTable
from entitlement_core.ingest.salesforce import is_salesforce_folder, read_salesforce
from entitlement_core.ingest.sf_calendar import holiday_dates
from entitlement_core.ingest.sf_ids import to_18
from entitlement_core.problems import ProblemsError
from entitlement_core.store import Store
from tests.conftest import assert_same_content, snapshot

ROOT = Path(__file__).resolve().parents[2]
BASIC = ROOT / "tests" / "fixtures" / "salesforce" / "basic"
EXAMPLE = ROOT / "docs" / "salesforce-mapping.example.toml"

WriteFiles = Callable[..., Path]

#: Rows of each native table the fixture org yields with the example mapping.
FEEDS = {
    "accounts": 4, "contacts": 5, "assets": 3, "service_contracts": 1, "contract_line_items": 1, "plans": 3,
    "business_hours": 3, "holidays": 21, "entitlement_processes": 2, "milestone_targets": 6,
    "entitlements": 5, "cases": 30, "time_entries": 12, "case_milestones": 18,
}  # fmt: skip


def i18(id15: str) -> str:
    return pl.select(to_18(pl.lit(id15))).item()


def row(raws: list[RawTable], table: str, key: str, value: object, *, source: str | None = None) -> dict:
    """The one row of ``table`` whose ``key`` column equals ``value``."""
    frames = [r.frame for r in raws if r.table == table and (source is None or r.source == source)]
    found = pl.concat(frames, how="diagonal").filter(pl.col(key) == value)
    assert found.height == 1, f"{table}.{key}={value}: {found.height} rows"
    return found.row(0, named=True)


def raw_of(raws: list[RawTable], source: str) -> RawTable:
    return next(r for r in raws if r.source == source)


@pytest.fixture(scope="module")
def basic() -> list[RawTable]:
    """The fixture org read with the shipped example mapping (read once per module)."""
    return read_salesforce(BASIC, mapping=load_mapping(EXAMPLE))


# -- detection and files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"Account.csv": "Id\n", "Case.csv": "Id\n"}, True),
        ({"case.CSV": "Id\n"}, True),
        ({"ENTITLEMENT.csv": "Id\n", "notes.txt": "x"}, True),
        ({"accounts.csv": "account_id\n", "cases.csv": "case_id\n"}, False),  # native format
        ({"Account.csv": "Id\n", "accounts.csv": "account_id\n"}, False),  # ambiguous: not Salesforce
        ({"extract.csv": "Id\n"}, False),  # Data Loader's default name: rename after the object
        ({}, False),
    ],
)
def test_detection(write_files: WriteFiles, files: dict[str, str], expected: bool) -> None:
    assert is_salesforce_folder(write_files(files)) is expected


def test_detection_of_fixture_and_non_folders(tmp_path: Path) -> None:
    assert is_salesforce_folder(BASIC)
    assert detect_format(BASIC) == "salesforce"
    assert not is_salesforce_folder(BASIC / "Case.csv")
    assert not is_salesforce_folder(tmp_path / "missing")


def test_every_raw_names_its_file(basic: list[RawTable]) -> None:
    by_source = {r.source: r for r in basic}
    for source in ("Account.csv", "contact.csv", "ASSET.csv", "caseMilestone.csv", "holiday.csv", "Case.csv"):
        raw = by_source[source]
        assert raw.format == "salesforce"
        assert raw.sha256 == hashlib.sha256((BASIC / source).read_bytes()).hexdigest()
        assert raw.frame[LINE].dtype == pl.Int64
        assert all(dtype == pl.String for name, dtype in raw.frame.schema.items() if name != LINE)
    # Every table of the native import format v1 is fed by the fixture org and the example mapping.
    assert {r.table for r in basic} == set(FEEDS)
    # Parents first, as the native importer applies them.
    tables = [r.table for r in basic]
    assert tables.index("accounts") < tables.index("entitlements") < tables.index("cases")


# -- every mapping rule, on the fixture org -------------------------------------------------

ACME, GLOBEX, INITECH, UMBRELLA = "001Hs00000AcMeQ", "001Hs00000GlObX", "001Hs00000InTcH", "001Hs00000UmbRa"


@pytest.mark.parametrize(
    ("table", "key", "id15", "column", "expected"),
    [
        # Account: Id, Name; owner is the User's Name, or the OwnerId when User.csv lacks it.
        ("accounts", "account_id", ACME, "name", "Acme Corporation"),
        ("accounts", "account_id", ACME, "owner", "Katrin Mueller"),
        ("accounts", "account_id", UMBRELLA, "owner", "005Hs00000GoNeXIAV"),
        ("accounts", "account_id", INITECH, "name", 'Initech "Labs"'),
        ("accounts", "account_id", ACME, "tier", "Gold"),  # Tier__c via the mapping file
        ("accounts", "account_id", UMBRELLA, "tier", None),
        ("accounts", "account_id", GLOBEX, "region", "AMER"),
        # Contact: Name, else FirstName + LastName.
        ("contacts", "contact_id", "003Hs00000WiLeC", "name", "Wile Coyote"),
        ("contacts", "contact_id", "003Hs00000AlIcE", "name", "Alice Abernathy"),
        ("contacts", "contact_id", "003Hs00000HoMeR", "account_id", i18(GLOBEX)),
        ("contacts", "contact_id", "003Hs00000HoMeR", "email", "homer@simpson.example"),
        # Asset: product is the Product2 Name, else Product2Id, else the asset's Name.
        ("assets", "asset_id", "02iHs00000RtRaA", "product", "Edge Router X200"),
        ("assets", "asset_id", "02iHs00000PuMpC", "product", "Infusion Pump P5"),  # 15-char Product2Id
        ("assets", "asset_id", "02iHs00000ScNbB", "product", "Document Scanner S9"),
        ("assets", "asset_id", "02iHs00000ScNbB", "account_id", i18(INITECH)),
        # ServiceContract and ContractLineItem.
        ("service_contracts", "service_contract_id", "810Hs00000ScUmB", "name", "Umbrella Service 2026"),
        ("service_contracts", "service_contract_id", "810Hs00000ScUmB", "end_date", "2026-12-31"),
        (
            "contract_line_items",
            "line_item_id",
            "811Hs00000LiNeU",
            "service_contract_id",
            i18("810Hs00000ScUmB"),
        ),
        ("contract_line_items", "line_item_id", "811Hs00000LiNeU", "product", "Hours Bank 100"),
        ("contract_line_items", "line_item_id", "811Hs00000LiNeU", "asset_id", i18("02iHs00000PuMpC")),
        # BusinessHours: HH:MM, closed days empty, 24-hour days 00:00-24:00.
        ("business_hours", "business_hours_id", "01mHs00000BeRlN", "timezone", "Europe/Berlin"),
        ("business_hours", "business_hours_id", "01mHs00000BeRlN", "mon_start", "09:00"),
        ("business_hours", "business_hours_id", "01mHs00000BeRlN", "fri_end", "17:00"),
        ("business_hours", "business_hours_id", "01mHs00000BeRlN", "sat_start", None),
        ("business_hours", "business_hours_id", "01mHs00000NyCsE", "sun_start", "00:00"),
        ("business_hours", "business_hours_id", "01mHs00000NyCsE", "sun_end", "24:00"),
        ("business_hours", "business_hours_id", "01mHs00000SgPoR", "mon_end", "24:00"),  # until midnight
        ("business_hours", "business_hours_id", "01mHs00000SgPoR", "sat_end", "13:00"),
        ("business_hours", "business_hours_id", "01mHs00000SgPoR", "isdefault", "false"),  # kept as extra
        # SlaProcess.
        ("entitlement_processes", "process_id", "552Hs00000PrMxX", "name", "Premium 24x7"),
        ("entitlement_processes", "process_id", "552Hs00000PrMxX", "version", "2"),
        (
            "entitlement_processes",
            "process_id",
            "552Hs00000PrMxX",
            "business_hours_id",
            i18("01mHs00000NyCsE"),
        ),
        # Entitlement: per-incident cases, an hours bank from custom fields, date-only.
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "usage_type", "cases"),
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "cap", "10"),
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "crm_remaining_cases", "3"),
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "account_id", i18(ACME)),  # 15-char in the file
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "process_id", i18("552Hs00000StDsP")),
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "business_hours_id", i18("01mHs00000BeRlN")),
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "plan", "Standard"),
        ("entitlements", "entitlement_id", "550Hs00000AcStD", "start_date", "2026-01-01"),
        ("entitlements", "entitlement_id", "550Hs00000GxHrS", "usage_type", "hours"),
        ("entitlements", "entitlement_id", "550Hs00000GxHrS", "cap", "100"),
        ("entitlements", "entitlement_id", "550Hs00000GxHrS", "overflow", "Block"),
        ("entitlements", "entitlement_id", "550Hs00000InWaR", "usage_type", "none"),
        ("entitlements", "entitlement_id", "550Hs00000InWaR", "cap", None),
        ("entitlements", "entitlement_id", "550Hs00000InWaR", "asset_id", i18("02iHs00000ScNbB")),
        ("entitlements", "entitlement_id", "550Hs00000AcPrM", "usage_type", "cases"),
        ("entitlements", "entitlement_id", "550Hs00000AcPrM", "cap", None),  # per incident, no limit
        ("entitlements", "entitlement_id", "550Hs00000AcPrM", "process_id", i18("552Hs00000PrMxX")),
        ("entitlements", "entitlement_id", "550Hs00000AcPrM", "consume_on", "Closed"),
        ("entitlements", "entitlement_id", "550Hs00000UmCaP", "line_item_id", i18("811Hs00000LiNeU")),
        ("entitlements", "entitlement_id", "550Hs00000UmCaP", "service_contract_id", i18("810Hs00000ScUmB")),
        ("entitlements", "entitlement_id", "550Hs00000UmCaP", "status", "Active"),  # computed: extra
        # Case: timestamps kept as exported, deleted rows kept, 15-char references normalised.
        ("cases", "case_id", "500Hs0000001CsE", "created_at", "2026-08-06T10:13:00.000Z"),
        ("cases", "case_id", "500Hs0000001CsE", "closed_at", "2026-08-08T14:05:00.000Z"),
        ("cases", "case_id", "500Hs0000001CsE", "first_response_at", "2026-08-06T11:30:00.000Z"),
        ("cases", "case_id", "500Hs0000001CsE", "priority", "Medium"),
        ("cases", "case_id", "500Hs0000001CsE", "origin", "Phone"),
        ("cases", "case_id", "500Hs0000001CsE", "status", "Closed"),
        ("cases", "case_id", "500Hs0000002CsE", "entitlement_id", i18("550Hs00000AcStD")),
        ("cases", "case_id", "500Hs0000003CsE", "account_id", i18(ACME)),
        ("cases", "case_id", "500Hs0000007CsE", "is_deleted", "true"),
        ("cases", "case_id", "500Hs0000005CsE", "closed_at", None),
        ("cases", "case_id", "500Hs0000029CsE", "entitlement_id", None),
        ("cases", "case_id", "500Hs0000016CsE", "first_response_at", None),  # no milestones tracked
        # Time_Entry__c (custom object): hours -> minutes.
        ("time_entries", "time_entry_id", "a0BHs0000001TeN", "minutes", "120"),
        ("time_entries", "time_entry_id", "a0BHs0000002TeN", "minutes", "15"),
        ("time_entries", "time_entry_id", "a0BHs0000003TeN", "minutes", "225"),
        ("time_entries", "time_entry_id", "a0BHs0000001TeN", "case_id", i18("500Hs0000016CsE")),
        ("time_entries", "time_entry_id", "a0BHs0000001TeN", "entry_date", "2026-03-27"),
    ],
)
def test_mapping_rule(
    basic: list[RawTable], table: str, key: str, id15: str, column: str, expected: str
) -> None:
    assert row(basic, table, key, i18(id15))[column] == expected


@pytest.mark.parametrize(
    ("line", "milestone", "target_minutes", "completed_at", "target_at"),
    [
        # TargetResponseInMins; TargetDate is the target of record.
        (2, "First Response", "240", "2026-08-06T11:30:00.000Z", "2026-08-06T14:13:00.000Z"),
        # only TargetResponseInHrs 40.00 x 60
        (3, "Resolution", "2400", "2026-08-08T14:05:00.000Z", "2026-08-13T10:13:00.000Z"),
        # CaseId written in 15 characters
        (4, "First Response", "240", "2026-05-11T14:30:00.000Z", "2026-05-12T09:26:00.000Z"),
        # only TargetResponseInDays 1.67 x 1440
        (5, "Resolution", "2405", "2026-05-13T17:05:00.000Z", "2026-05-18T13:31:00.000Z"),
        (11, "Resolution", "2400", None, "2026-07-03T12:05:00.000Z"),  # open milestone
    ],
)
def test_case_milestones(
    basic: list[RawTable],
    line: int,
    milestone: str,
    target_minutes: str,
    completed_at: str | None,
    target_at: str,
) -> None:
    found = row(basic, "case_milestones", LINE, line)
    assert found["milestone"] == milestone
    assert found["target_minutes"] == target_minutes
    assert found["completed_at"] == completed_at
    assert found["case_id"].endswith("CsEIAU") and len(found["case_id"]) == 18
    assert found["target_at"] == target_at


def test_milestone_targets_from_export_and_mapping(basic: list[RawTable]) -> None:
    exported = raw_of(basic, "MilestoneTarget.csv").frame
    assert exported.select("process_id", "milestone", "target_minutes", "priority").rows() == [
        (i18("552Hs00000StDsP"), "First Response", "240", None),
        (i18("552Hs00000StDsP"), "First Response", "60", "High"),
        (i18("552Hs00000StDsP"), "Resolution", "2400", None),
    ]
    mapped = raw_of(basic, "salesforce-mapping.example.toml [[targets]]")
    assert mapped.frame["process_id"].unique().to_list() == [i18("552Hs00000PrMxX")]
    assert mapped.frame.filter(pl.col("milestone") == "Resolution")["warning_minutes"].to_list() == ["60"]
    # Lines are those of the [[targets]] headers in the mapping file.
    lines = EXAMPLE.read_text().splitlines()
    assert all(lines[n - 1].strip() == "[[targets]]" for n in mapped.frame[LINE])


def test_plans_from_mapping(basic: list[RawTable]) -> None:
    plans = raw_of(basic, "salesforce-mapping.example.toml [[plans]]")
    assert plans.table == "plans"
    assert plans.frame.select("plan", "usage_type", "cap").rows() == [
        ("Standard", "cases", "10"),
        ("Hours 100", "hours", "100"),
        ("Premium", "cases", None),
    ]


def test_holidays_apply_to_every_calendar_without_junction(basic: list[RawTable]) -> None:
    holidays = raw_of(basic, "holiday.csv").frame
    christmas = holidays.filter(pl.col("date") == "2026-12-25")
    assert sorted(christmas["business_hours_id"]) == sorted(
        i18(b) for b in ("01mHs00000BeRlN", "01mHs00000NyCsE", "01mHs00000SgPoR")
    )
    # Recurring holidays expand: New Year from 2025 through the export's last year + 1 (2027 + 1).
    new_year = holidays.filter(pl.col("name") == "New Year's Day")["date"].unique().sort().to_list()
    assert new_year == ["2025-01-01", "2026-01-01", "2027-01-01", "2028-01-01"]
    thanksgiving = holidays.filter(pl.col("name") == "Thanksgiving")["date"].unique().sort().to_list()
    assert thanksgiving == ["2025-11-27", "2026-11-26"]
    assert holidays.select(LINE).unique().sort(LINE)[LINE].to_list() == [2, 3, 4]


def test_deleted_case_is_kept(basic: list[RawTable]) -> None:
    cases = raw_of(basic, "Case.csv").frame
    assert cases.height == 30
    assert cases.filter(pl.col("is_deleted") == "true")["case_id"].to_list() == [i18("500Hs0000007CsE")]


def test_line_numbers_follow_quoted_newlines(basic: list[RawTable]) -> None:
    """Line numbers equal the csv module's, though two descriptions span several lines."""
    text = (BASIC / "Case.csv").read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    expected, start = [], 2
    for _ in reader:
        expected.append(start)
        start = reader.line_num + 1
    assert raw_of(basic, "Case.csv").frame[LINE].to_list() == expected
    assert expected[3] == 7  # case 4 comes after a three-line description


def test_column_sources_and_extras(basic: list[RawTable]) -> None:
    cases = raw_of(basic, "Case.csv")
    assert cases.source_column("created_at") == "CreatedDate"
    assert cases.source_column("account_id") == "AccountId"
    assert cases.source_column("first_response_at") == "CaseMilestone.CompletionDate"
    assert cases.source_column("casenumber") == "CaseNumber"
    # Unmapped fields stay, under their lower-cased header; mapped ones do not repeat.
    assert {"casenumber", "subject", "description", "slastartdate", "milestonestatus"} <= set(
        cases.frame.columns
    )
    assert "createddate" not in cases.frame.columns
    assert "Customer wrote:\n" in cases.frame["description"].drop_nulls()[0]
    accounts = raw_of(basic, "Account.csv")
    assert "billingcity" in accounts.frame.columns and "tier__c" not in accounts.frame.columns
    assert accounts.source_column("tier") == "Tier__c"
    assert raw_of(basic, "Time_Entry__c.csv").source_column("minutes") == "Hours__c"
    entitlements = raw_of(basic, "entitlement.csv")
    assert entitlements.source_column("usage_type") == "Usage_Type__c"
    assert "hours_cap" not in entitlements.frame.columns


# -- rules on small exports ------------------------------------------------------------------------

BH_HEADER = '"Id","Name","TimeZoneSidKey","MondayStartTime","MondayEndTime"'


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("08:00:00.000Z", "17:00:00.000Z", ("08:00", "17:00")),
        ("08:30:00.000Z", "17:45:00.000Z", ("08:30", "17:45")),
        ("", "", (None, None)),  # closed
        ("00:00:00.000Z", "00:00:00.000Z", ("00:00", "24:00")),  # Salesforce's "24 hours"
        ("09:00:00.000Z", "00:00:00.000Z", ("09:00", "24:00")),  # open until midnight
        ("08:00", "17:00", ("08:00", "17:00")),
        ("9am", "17:00:00.000Z", ("9am", "17:00")),  # left as written for the native check
    ],
)
def test_business_hours_times(write_files: WriteFiles, start: str, end: str, expected: tuple) -> None:
    folder = write_files(
        {"BusinessHours.csv": f'{BH_HEADER}\n"01mHs00000BeRlN","X","Europe/Berlin","{start}","{end}"\n'}
    )
    (raw,) = read_salesforce(folder)
    assert raw.frame.select("mon_start", "mon_end").row(0) == expected
    # Days the export does not carry are not touched (stored values stay on re-import).
    assert "tue_start" not in raw.frame.columns


ENTITLEMENTS = """\
Id,AccountId,StartDate,EndDate,IsPerIncident,CasesPerEntitlement,RemainingCases,Usage_Type__c,Hours_Cap__c
550Hs00000Ent01,001Hs00000AcMeQ,2026-01-01,2026-12-31,true,10,4,,
550Hs00000Ent02,001Hs00000AcMeQ,2026-01-01,2026-12-31,true,,,,
550Hs00000Ent03,001Hs00000AcMeQ,2026-01-01,2026-12-31,false,,,,
550Hs00000Ent04,001Hs00000AcMeQ,2026-01-01,2026-12-31,false,,,Hours,40
550Hs00000Ent05,001Hs00000AcMeQ,2026-01-01,2026-12-31,false,,,,25.5
550Hs00000Ent06,001Hs00000AcMeQ,2026-01-01,2026-12-31,false,8,,Per Case,
550Hs00000Ent07,001Hs00000AcMeQ,2026-01-01,2026-12-31,TRUE,10,10,Hour Bank,25
550Hs00000Ent08,001Hs00000AcMeQ,2026-01-01,2026-12-31,false,,,Warranty,
"""
USAGE_MAPPING = """\
[fields.Entitlement]
Hours_Cap__c = "hours_cap"

[fields.Entitlement.Usage_Type__c]
column = "usage_type"
values = { "Hour Bank" = "hours", "Per Case" = "cases", "Warranty" = "none" }
"""


@pytest.fixture(scope="module")
def usage_rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("usage")
    (folder / "Entitlement.csv").write_text(ENTITLEMENTS)
    (folder / "mapping.toml").write_text(USAGE_MAPPING)
    (raw,) = read_salesforce(folder, mapping=load_mapping(folder / "mapping.toml"))
    return {r["entitlement_id"][:15]: r for r in raw.frame.iter_rows(named=True)}


@pytest.mark.parametrize(
    ("entitlement", "usage_type", "cap", "remaining"),
    [
        ("550Hs00000Ent01", "cases", "10", "4"),  # IsPerIncident with CasesPerEntitlement
        ("550Hs00000Ent02", "cases", None, None),  # per incident without a number: unlimited
        ("550Hs00000Ent03", "none", None, None),  # not per incident: date-only
        ("550Hs00000Ent04", "Hours", "40", None),  # mapped usage type (native matching ignores case)
        ("550Hs00000Ent05", "hours", "25.5", None),  # an hours cap alone makes an hours bank
        ("550Hs00000Ent06", "cases", "8", None),  # picklist value rewritten; cap from CasesPerEntitlement
        ("550Hs00000Ent07", "hours", "25", "10"),  # the mapped field wins over IsPerIncident
        ("550Hs00000Ent08", "none", None, None),
    ],
)
def test_entitlement_usage_type_rules(
    usage_rows: dict[str, dict], entitlement: str, usage_type: str, cap: str | None, remaining: str | None
) -> None:
    found = usage_rows[entitlement]
    assert (found["usage_type"], found["cap"], found["crm_remaining_cases"]) == (usage_type, cap, remaining)


def test_usage_type_without_mapping(write_files: WriteFiles) -> None:
    folder = write_files({"Entitlement.csv": ENTITLEMENTS})
    (raw,) = read_salesforce(folder)
    assert raw.frame["usage_type"].to_list() == ["cases", "cases"] + ["none"] * 4 + ["cases", "none"]
    # Unmapped custom fields are kept as extras.
    assert raw.frame["usage_type__c"][3] == "Hours"


@pytest.mark.parametrize(
    ("recurrence", "expected"),
    [
        ({"ActivityDate": "2026-12-25"}, ["2026-12-25"]),
        ({"ActivityDate": "2026-12-25T00:00:00.000Z"}, ["2026-12-25T00:00:00.000Z"]),  # trimmed later
        (
            {
                "IsRecurrence": "true",
                "RecurrenceType": "RecursYearly",
                "RecurrenceStartDate": "2024-01-01",
                "RecurrenceEndDateOnly": "2028-12-31",
                "RecurrenceMonthOfYear": "February",
                "RecurrenceDayOfMonth": "29",
            },
            ["2024-02-29", "2028-02-29"],  # no 29 February in other years
        ),
        (
            {
                "IsRecurrence": "true",
                "RecurrenceType": "RecursYearly",
                "RecurrenceStartDate": "2024-06-01",
                "RecurrenceMonthOfYear": "January",
                "RecurrenceDayOfMonth": "1",
            },
            ["2025-01-01", "2026-01-01"],  # the start date bounds it; open end: through 2026
        ),
        (
            {
                "IsRecurrence": "true",
                "RecurrenceType": "RecursYearly",
                "RecurrenceStartDate": "2020-07-04",
                "RecurrenceEndDateOnly": "2026-12-31",
                "RecurrenceInterval": "3",
                "RecurrenceMonthOfYear": "July",
                "RecurrenceDayOfMonth": "4",
            },
            ["2020-07-04", "2023-07-04", "2026-07-04"],
        ),
        (
            {
                "IsRecurrence": "true",
                "RecurrenceType": "RecursYearlyNth",
                "RecurrenceStartDate": "2025-01-01",
                "RecurrenceEndDateOnly": "2026-12-31",
                "RecurrenceInstance": "Fourth",
                "RecurrenceDayOfWeekMask": "16",
                "RecurrenceMonthOfYear": "November",
            },
            ["2025-11-27", "2026-11-26"],  # Thanksgiving
        ),
        (
            {
                "IsRecurrence": "true",
                "RecurrenceType": "RecursYearlyNth",
                "RecurrenceStartDate": "2026-01-01",
                "RecurrenceEndDateOnly": "2026-12-31",
                "RecurrenceInstance": "Last",
                "RecurrenceDayOfWeekMask": "2",
                "RecurrenceMonthOfYear": "May",
            },
            ["2026-05-25"],  # last Monday of May
        ),
        (
            {
                "IsRecurrence": "true",
                "RecurrenceType": "RecursYearlyNth",
                "RecurrenceStartDate": "2026-01-01",
                "RecurrenceEndDateOnly": "2026-12-31",
                "RecurrenceInstance": "First",
                "RecurrenceDayOfWeekMask": "1",
                "RecurrenceMonthOfYear": "March",
            },
            ["2026-03-01"],  # first Sunday of March 2026 is the 1st
        ),
        (
            {
                "IsRecurrence": "true",
                "RecurrenceType": "RecursWeekly",
                "RecurrenceStartDate": "2026-03-06",
                "RecurrenceDayOfWeekMask": "32",
            },
            ["2026-03-06"],  # not expanded (documented limit): its first date only
        ),
    ],
)
def test_holiday_recurrence(recurrence: dict[str, str], expected: list[str]) -> None:
    frame = pl.DataFrame([{"id": "0C0Hs00000XmAsDKAV", **{k.lower(): v for k, v in recurrence.items()}}])
    dated = holiday_dates(frame, through_year=2026)
    assert dated["__date"].to_list() == expected


HOLIDAY = '"Id","Name","ActivityDate","IsAllDay"\n"0C0Hs00000XmAsD","Christmas","2026-12-25","true"\n'
TWO_CALENDARS = (
    "Id,Name,TimeZoneSidKey\n"
    "01mHs00000BeRlN,Berlin,Europe/Berlin\n"
    "01mHs00000NyCsE,New York,America/New_York\n"
)


def test_holidays_follow_the_junction_export(write_files: WriteFiles) -> None:
    folder = write_files(
        {
            "Holiday.csv": HOLIDAY,
            "BusinessHours.csv": TWO_CALENDARS,
            "BusinessHoursHoliday.csv": "BusinessHoursId,HolidayId\n01mHs00000BeRlN,0C0Hs00000XmAsDKAV\n",
        }
    )
    holidays = raw_of(read_salesforce(folder), "Holiday.csv").frame
    assert holidays.select("business_hours_id", "date", "name").rows() == [
        (i18("01mHs00000BeRlN"), "2026-12-25", "Christmas")
    ]


def test_holidays_need_business_hours(write_files: WriteFiles) -> None:
    with pytest.raises(ProblemsError) as info:
        read_salesforce(write_files({"Holiday.csv": HOLIDAY}))
    assert info.value.problems[0].file == "Holiday.csv"
    assert "BusinessHours" in info.value.problems[0].message


TIME_ENTRY_MAPPING = """\
[objects.Work_Log__c]
table = "time_entries"
file = "worklog.csv"
[objects.Work_Log__c.fields]
Id = "time_entry_id"
Case__c = "case_id"
Day__c = "entry_date"
Duration__c = { column = "minutes", unit = "days" }
"""


def test_custom_object_from_mapping(write_files: WriteFiles) -> None:
    folder = write_files(
        {
            "worklog.csv": "Id,Case__c,Day__c,Duration__c,Note__c\n"
            "a0BHs00000Log01,500Hs0000001CsE,2026-03-02,0.5,Onsite\n"
            "a0BHs00000Log02,500Hs0000001CsEIAU,2026-03-03,1,\n"
            "a0BHs00000Log03,500Hs0000001CsE,2026-03-04,half,\n",
            "mapping.toml": TIME_ENTRY_MAPPING,
        }
    )
    (raw,) = read_salesforce(folder, mapping=load_mapping(folder / "mapping.toml"))
    assert (raw.table, raw.source) == ("time_entries", "worklog.csv")
    assert raw.frame.select("case_id", "minutes", "note__c").rows() == [
        (i18("500Hs0000001CsE"), "720", "Onsite"),
        (i18("500Hs0000001CsE"), "1440", None),
        (i18("500Hs0000001CsE"), "half", None),  # not a number: the native check reports it
    ]
    assert raw.source_column("minutes") == "Duration__c"


def test_targets_name_processes_and_milestones_by_id(write_files: WriteFiles) -> None:
    folder = write_files(
        {
            "SlaProcess.csv": "Id,Name,NameNorm,VersionNumber\n"
            "552Hs00000StDsP,Standard Support,standard_support_v1,1\n"
            "552Hs00000StDs2,Standard Support,standard_support_v2,2\n",
            "MilestoneType.csv": "Id,Name\n557Hs00000FrSrP,First Response\n",
            "MilestoneTarget.csv": "Process,Milestone,MinutesToComplete,Priority,Origin\n"
            "standard support,557Hs00000FrSrP,240,,\n"
            "552Hs00000StDs2,Resolution,960,High,Email\n"
            "Gold Support,Resolution,480,,\n",
        }
    )
    targets = raw_of(read_salesforce(folder), "MilestoneTarget.csv").frame
    assert targets.select("process_id", "milestone", "target_minutes", LINE).rows() == [
        # A name matches every version of the process.
        (i18("552Hs00000StDsP"), "First Response", "240", 2),
        (i18("552Hs00000StDs2"), "First Response", "240", 2),
        (i18("552Hs00000StDs2"), "Resolution", "960", 3),
        ("Gold Support", "Resolution", "480", 4),  # unknown: the native check reports the process
    ]


def test_first_response_from_mapped_field_and_option(write_files: WriteFiles, tmp_path: Path) -> None:
    folder = write_files(
        {
            "Case.csv": "Id,AccountId,CreatedDate,First_Reply__c\n"
            "500Hs0000001CsE,001Hs00000AcMeQ,2026-03-02T09:00:00.000Z,2026-03-02T09:20:00.000Z\n"
            "500Hs0000002CsE,001Hs00000AcMeQ,2026-03-02T09:00:00.000+0000,\n",
            "MilestoneType.csv": "Id,Name\n557Hs00000FrSrP,Initial Reply\n",
            "CaseMilestone.csv": "Id,CaseId,MilestoneTypeId,StartDate,CompletionDate\n"
            "553Hs0000001CmS,500Hs0000001CsE,557Hs00000FrSrP,2026-03-02T09:00:00.000Z,2026-03-02T09:45:00.000Z\n"
            "553Hs0000002CmS,500Hs0000002CsE,557Hs00000FrSrP,2026-03-02T09:00:00.000Z,2026-03-02T10:00:00.000Z\n",
        }
    )
    mapping_file = tmp_path / "m.toml"
    mapping_file.write_text(
        '[fields.Case]\nFirst_Reply__c = "first_response_at"\n'
        '[options]\nfirst_response_milestone = "initial reply"\n'
    )
    cases = raw_of(read_salesforce(folder, mapping=load_mapping(mapping_file)), "Case.csv").frame
    assert cases.select("first_response_at", "created_at").rows() == [
        ("2026-03-02T09:20:00.000Z", "2026-03-02T09:00:00.000Z"),  # the mapped field wins
        ("2026-03-02T10:00:00.000Z", "2026-03-02T09:00:00.000+00:00"),  # CLI offset made ISO 8601
    ]
    default = raw_of(read_salesforce(folder), "Case.csv").frame
    assert default["first_response_at"].to_list() == [None, None]  # no "First Response" milestone
    assert default["first_reply__c"].to_list() == ["2026-03-02T09:20:00.000Z", None]  # unmapped: an extra


def test_subset_of_objects_and_header_case(write_files: WriteFiles) -> None:
    content = (
        "ID,accountid,CREATEDDATE,isdeleted\n500Hs0000001CsE,001Hs00000AcMeQ,2026-01-15T10:23:00.000Z,TRUE\n"
    )
    folder = write_files({"case.csv": content})
    (raw,) = read_salesforce(folder)
    assert raw.frame.select("case_id", "account_id", "created_at", "is_deleted").row(0) == (
        i18("500Hs0000001CsE"), i18(ACME), "2026-01-15T10:23:00.000Z", "true",
    )  # fmt: skip
    assert raw.source_column("created_at") == "CREATEDDATE"


def test_mapping_names_an_export_file(write_files: WriteFiles, tmp_path: Path) -> None:
    folder = write_files(
        {"cases_2026.csv": "Id,AccountId,CreatedDate\n500Hs0000001CsE,001Hs00000AcMeQ,2026-01-15\n"}
    )
    mapping = SalesforceMapping(files={"Case": "Cases_2026.CSV"})
    (raw,) = read_salesforce(folder, mapping=mapping)
    assert (raw.table, raw.source) == ("cases", "cases_2026.csv")


def test_extra_named_like_a_native_column_is_renamed(write_files: WriteFiles) -> None:
    header = "Id,AccountId,LastName,Extra,Contact_Id"
    folder = write_files({"Contact.csv": f"{header}\n003Hs00000WiLeC,001Hs00000AcMeQ,Coyote,x,y\n"})
    (raw,) = read_salesforce(folder)
    assert raw.frame.select("contact_id", "name", "sf_extra", "sf_contact_id").row(0) == (
        i18("003Hs00000WiLeC"), "Coyote", "x", "y",
    )  # fmt: skip
    assert raw.source_column("sf_contact_id") == "Contact_Id"


# -- errors ------------------------------------------------------------------------------------


def test_bad_id_names_file_line_and_field(write_files: WriteFiles) -> None:
    folder = write_files(
        {
            "Case.csv": (
                '"Id","AccountId","CreatedDate","Description"\n'
                '"500Hs0000001CsE","001Hs00000AcMeQ","2026-01-15T10:23:00.000Z","two\nlines"\n'
                '"500Hs0000002CsE","001Hs00000AcMe","2026-01-15T10:23:00.000Z",""\n'
            ),
            "Account.csv": "Id,Name\n001Hs00000AcMeQ-X,Acme\n",
        }
    )
    with pytest.raises(ProblemsError) as info:
        read_salesforce(folder)
    found = {(p.file, p.line, p.column) for p in info.value.problems}
    assert found == {("Case.csv", 4, "AccountId"), ("Account.csv", 2, "Id")}
    message = next(p.message for p in info.value.problems if p.file == "Case.csv")
    assert message == "not a Salesforce id: has 14 characters; a Salesforce id has 15 or 18"


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"Id,Name\n001Hs00000AcMeQ,Acme,extra\n", 2, "3 fields where the header has 2"),
        (b'Id,Name\n001Hs00000AcMeQ,"Acme\n', 2, "a quoted value is never closed"),
        (b"", None, "the file is empty"),
        (b"Id,Name,ID\n001Hs00000AcMeQ,Acme,x\n", 1, "duplicate column header"),
    ],
)
def test_unreadable_csv(write_files: WriteFiles, content: bytes, line: int | None, message: str) -> None:
    with pytest.raises(ProblemsError) as info:
        read_salesforce(write_files({"Account.csv": content}))
    problem = info.value.problems[0]
    assert problem.file == "Account.csv"
    assert message in problem.message
    if line is not None:
        assert problem.line == line


def test_utf8_bom_and_crlf(write_files: WriteFiles) -> None:
    content = b'\xef\xbb\xbf"Id","Name"\r\n"001Hs00000AcMeQ","Acme"\r\n\r\n"001Hs00000GlObX","Globex"\r\n'
    folder = write_files({"Account.csv": content})
    (raw,) = read_salesforce(folder)
    assert raw.frame.select("account_id", "name", LINE).rows() == [
        (i18(ACME), "Acme", 2),
        (i18(GLOBEX), "Globex", 4),  # a blank line is skipped but counted
    ]


def test_two_exports_of_one_object(write_files: WriteFiles) -> None:
    folder = write_files({"Case.csv": "Id\n", "case.csv": "Id\n"})
    with pytest.raises(ProblemsError) as info:
        read_salesforce(folder)
    assert "a second export of Case" in info.value.problems[0].message


# -- end to end, through the native importer ---------------------------------------------------


def test_import_fixture_org() -> None:
    store = Store(":memory:")
    result = import_path(store, BASIC, format="salesforce", mapping=EXAMPLE)
    counts = {t: store.query(f"SELECT count(*) AS n FROM {t}").item() for t in FEEDS}
    assert counts == FEEDS
    assert result.rows_added == sum(counts.values())
    entitlements = store.query(
        "SELECT entitlement_id, usage_type, cap, consume_on, overflow, crm_remaining_cases FROM entitlements "
        "ORDER BY entitlement_id"
    )
    assert entitlements.rows() == [
        (i18("550Hs00000AcPrM"), "cases", None, "closed", "warn", None),
        (i18("550Hs00000AcStD"), "cases", 10.0, "created", "warn", 3.0),
        (i18("550Hs00000GxHrS"), "hours", 100.0, "created", "block", None),
        (i18("550Hs00000InWaR"), "none", None, "created", "warn", None),
        (i18("550Hs00000UmCaP"), "cases", 5.0, "created", "warn", 5.0),
    ]
    assert store.query("SELECT count(*) FROM cases WHERE is_deleted").item() == 1
    assert store.query("SELECT sum(minutes) FROM time_entries").item() == 3 * (120 + 15 + 225 + 90)
    created = store.query("SELECT created_at FROM cases WHERE case_id = ?", [i18("500Hs0000001CsE")]).item()
    assert created.isoformat() == "2026-08-06T10:13:00+00:00"
    ny = store.query("SELECT sun_start, sun_end FROM business_hours WHERE name = 'New York 24x7'").row(0)
    assert ny == ("00:00", "24:00")
    extra = store.query("SELECT extra FROM cases WHERE case_id = ?", [i18("500Hs0000001CsE")]).item()
    assert '"casenumber":"00001001"' in extra

    before = snapshot(store)
    again = import_path(store, BASIC, format="salesforce", mapping=EXAMPLE)
    assert (again.rows_added, again.rows_updated) == (0, 0)
    after = snapshot(store)
    del before["import_batches"], after["import_batches"]
    assert_same_content(before, after)


def test_native_validation_names_salesforce_file_and_field(tmp_path: Path) -> None:
    """A value the native validator rejects is reported against the Salesforce file, line and field."""
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("Account.csv", "Case.csv"):
        (folder / name).write_bytes((BASIC / name).read_bytes())
    text = (folder / "Case.csv").read_text()
    (folder / "Case.csv").write_text(text.replace('"2026-09-21T09:52:00.000Z"', '"21/09/2026 09:52"', 1))
    (folder / "Entitlement.csv").write_text(
        "Id,AccountId,IsPerIncident\n550Hs00000AcStD,001Hs00000AcMeQ,true\n"
    )
    store = Store(":memory:")
    raws = read_salesforce(folder)
    with pytest.raises(ProblemsError) as info:
        import_tables(store, raws, format="salesforce")
    found = {(p.file, p.line, p.column) for p in info.value.problems}
    assert ("Case.csv", 7, "CreatedDate") in found  # case 4, after a three-line description
    assert ("Entitlement.csv", 2, "StartDate") in found  # required, left empty by Salesforce
    assert store.query("SELECT count(*) FROM cases").item() == 0


def test_short_and_long_rows_are_refused_with_their_lines(tmp_path: Path) -> None:
    (tmp_path / "Account.csv").write_text(
        '"Id","Name","OwnerId"\n'
        '"001000000000001AAA","Acme","005000000000001AAA"\n'
        '"001000000000002AAA","Beta"\n'
        '"001000000000003AAA","Gamma","005000000000001AAA","extra"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProblemsError) as info:
        read_salesforce(tmp_path)
    got = [(p.file, p.line, p.message) for p in info.value.problems]
    assert got == [
        ("Account.csv", 3, "2 fields where the header has 3"),
        ("Account.csv", 4, "4 fields where the header has 3"),
    ]


def test_clock_fields_paused_statuses_and_milestone_calendars(
    write_files: WriteFiles, tmp_path: Path
) -> None:
    """Case.BusinessHoursId, CaseMilestone's TargetDate and clock figures, a mapped paused-statuses
    field of SlaProcess and MilestoneTarget.BusinessHoursId reach their native columns."""
    berlin, ny = "01mHs00000BeRlNIAV", "01mHs00000NyCsEIAV"
    folder = write_files(
        {
            "SlaProcess.csv": '"Id","Name","Paused_Statuses__c"\n"552Hs00000StDsP","Std","On Hold;Waiting"\n',
            "MilestoneTarget.csv": "Process,Milestone,MinutesToComplete,BusinessHoursId\n"
            f"Std,Resolution,2400,{ny}\n",
            "Case.csv": '"Id","AccountId","CreatedDate","BusinessHoursId"\n'
            f'"500Hs0000001CsE","001Hs00000AcMeQ","2026-03-02 09:15:00","{berlin}"\n',
            "CaseMilestone.csv": '"CaseId","MilestoneTypeId","StartDate","TargetDate","ElapsedTimeInMins",'
            '"StoppedTimeInMins","ActualElapsedTimeInMins"\n"500Hs0000001CsE","557Hs00000FrSrP",'
            '"2026-03-02 09:15:00","2026-03-02 13:15:00","240.0","15.0","225.0"\n',
        }
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text('[fields.SlaProcess]\nPaused_Statuses__c = "paused_statuses"\n')
    raws = read_salesforce(folder, mapping=load_mapping(mapping))
    assert row(raws, "entitlement_processes", "name", "Std")["paused_statuses"] == "On Hold;Waiting"
    assert row(raws, "milestone_targets", "milestone", "Resolution")["business_hours_id"] == ny
    assert row(raws, "cases", "business_hours_id", berlin)["created_at"] == "2026-03-02 09:15:00"
    milestone = row(raws, "case_milestones", "target_at", "2026-03-02 13:15:00")
    assert (milestone["crm_elapsed_minutes"], milestone["crm_stopped_minutes"]) == ("240.0", "15.0")
    assert milestone["crm_actual_elapsed_minutes"] == "225.0"


def test_entitlement_without_end_never_ends_and_without_start_starts_when_created(
    write_files: WriteFiles,
) -> None:
    folder = write_files(
        {
            "Entitlement.csv": '"Id","AccountId","StartDate","EndDate","CreatedDate"\n'
            '"550Hs00000AcStD","001Hs00000AcMeQ","2026-01-01","","2025-12-15 09:00:00"\n'
            '"550Hs00000GxHrS","001Hs00000AcMeQ","","2026-12-31","2025-12-16T09:00:00.000Z"\n'
        }
    )
    (raw,) = read_salesforce(folder)
    assert raw.frame.select("start_date", "end_date").rows() == [
        ("2026-01-01", "2199-12-31"),
        ("2025-12-16", "2026-12-31"),
    ]
