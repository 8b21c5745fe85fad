"""The Salesforce mapping file: the shipped example, the format, and errors naming file, key and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from entitlement_core.ingest.mapping import FieldMap, SalesforceMapping, load_mapping
from entitlement_core.problems import ProblemsError

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "salesforce-mapping.example.toml"


def write(tmp_path: Path, text: str, name: str = "mapping.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_example_mapping_loads() -> None:
    mapping = load_mapping(EXAMPLE)
    assert mapping.source == "salesforce-mapping.example.toml"
    assert mapping.fields["Account"]["Tier__c"] == FieldMap(column="tier")
    assert mapping.fields["Entitlement"]["Hours_Cap__c"].column == "hours_cap"
    assert mapping.fields["Entitlement"]["Usage_Type__c"].values["Hour Bank"] == "hours"
    time_entries = mapping.objects["Time_Entry__c"]
    assert time_entries.table == "time_entries"
    assert time_entries.fields["Hours__c"] == FieldMap(column="minutes", unit="hours")
    assert [t.target_minutes for t in mapping.targets] == [60, 15, 480]
    assert [p["plan"] for p in mapping.plans] == ["Standard", "Hours 100", "Premium"]
    # Each list entry remembers the line of its [[header]], for messages.
    lines = EXAMPLE.read_text().splitlines()
    assert all(lines[n - 1].strip() == "[[targets]]" for n in mapping.target_lines)
    assert len(mapping.target_lines) == 3 and len(mapping.plan_lines) == 3


def test_empty_mapping_is_the_standard_rules() -> None:
    mapping = SalesforceMapping()
    assert mapping.fields == {} and mapping.objects == {} and mapping.targets == ()
    assert mapping.options.first_response_milestone == "First Response"


def test_object_names_match_in_any_case_and_files_override(tmp_path: Path) -> None:
    mapping = load_mapping(
        write(
            tmp_path,
            """
            [files]
            case = "cases_2026.csv"

            [fields.entitlement]
            Plan__c = "plan"

            [objects.Work_Log__c]
            table = "time_entries"
            file = "worklog.csv"
            fields = { Id = "time_entry_id", Case__c = "case_id", Day__c = "entry_date", Mins__c = "minutes" }
            """,
        )
    )
    assert mapping.files == {"Case": "cases_2026.csv"}
    assert mapping.fields_of("Entitlement") == {"Plan__c": FieldMap(column="plan")}
    assert mapping.fields_of("Work_Log__c")["Mins__c"].column == "minutes"
    assert mapping.objects["Work_Log__c"].file == "worklog.csv"


@pytest.mark.parametrize(
    ("text", "key", "line", "message"),
    [
        (
            '[fields.Entitlement]\nUsage_Type__c = "usage_type"\nCap__c = "capacity"\n',
            "fields.Entitlement.Cap__c",
            3,
            "'capacity' is not a column of entitlements",
        ),
        (
            '[fields.Foo__c]\nBar__c = "name"\n',
            "fields.Foo__c",
            1,
            "not a standard object read from exports; a custom object goes under [objects.Foo__c]",
        ),
        (
            '[fields.User]\nTitle = "name"\n',
            "fields.User",
            1,
            "feeds no native table",
        ),
        (
            '[objects.Log__c]\ntable = "logs"\nfields = {}\n',
            "objects.Log__c.table",
            2,
            "'logs' is not a native table",
        ),
        (
            '[objects.Log__c]\ntable = "time_entries"\n[objects.Log__c.fields]\n'
            'Day__c = { column = "entry_date", unit = "hours" }\n',
            "objects.Log__c.fields.Day__c",
            4,
            "unit applies only to minutes, target_minutes, warning_minutes",
        ),
        (
            '[objects.Case]\ntable = "cases"\nfields = {}\n',
            "objects.Case",
            1,
            "a standard object; map its custom fields under [fields.Case]",
        ),
        (
            '[[targets]]\nprocess = "P"\nmilestone = "M"\ntarget_minutes = 10\n\n'
            '[[targets]]\nprocess = "P"\nmilestone = "R"\ntarget_minutes = -5\n',
            "targets.1.target_minutes",
            9,
            "greater than or equal to 0",
        ),
        (
            '[[targets]]\nprocess = "P"\ntarget_minutes = 10\n',
            "targets.0.milestone",
            1,
            "Field required",
        ),
        (
            '[[plans]]\nplan = "Gold"\nusage = "cases"\n',
            "plans.0",
            1,
            "unknown column(s) usage",
        ),
        (
            "[options]\nfirst_response = 'First Response'\n",
            "options.first_response",
            2,
            "Extra inputs are not permitted",
        ),
        (
            '[fields.Case]\nX__c = { column = "status", unit = "weeks" }\n',
            "fields.Case.X__c.unit",
            2,
            "Input should be 'minutes', 'hours' or 'days'",
        ),
    ],
)
def test_errors_name_file_key_and_line(tmp_path: Path, text: str, key: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProblemsError) as info:
        load_mapping(path)
    problem = info.value.problems[0]
    assert problem.file == "mapping.toml"
    assert problem.column == key
    assert problem.line == line
    assert message in problem.message


def test_not_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[fields.Case]\nX__c = "status"\nY__c = \n')
    with pytest.raises(ProblemsError) as info:
        load_mapping(path)
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == ("mapping.toml", 3)
    assert "not valid TOML" in problem.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as info:
        load_mapping(tmp_path / "nope.toml")
    assert info.value.problems[0].file == "nope.toml"
    assert "cannot read mapping file" in info.value.problems[0].message


def test_reserved_keys_are_not_accepted(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as info:
        load_mapping(write(tmp_path, 'source = "other.toml"\n'))
    assert info.value.problems[0].column == "source"
