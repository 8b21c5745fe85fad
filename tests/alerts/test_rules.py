"""The rules file: defaults, validation errors naming the file, line and key, and the printed rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from entitlement_core.alerts import RULE_IDS, load_rules, parse_rules
from entitlement_core.problems import ProblemsError
from tests.alerts.conftest import ROOT, alerts_cli, write_rules


def test_the_shipped_rules_file_is_valid_and_every_rule_is_enabled() -> None:
    rules = load_rules(ROOT / "alerts.toml")
    assert [r for r in RULE_IDS if rules.rule(r).enabled] == list(RULE_IDS)
    assert rules.rule("milestone_violated").lookback_hours == 24
    assert rules.rule("renewal_due").within_days == 30
    assert rules.rule("milestone_at_risk").minutes_before is None  # the at-risk window
    assert rules.routing.owners == {} and rules.routing.team_email == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[rules.near_limit]\nnotfy = ["webhook"]\n', "rules.toml:2: rules.near_limit.notfy: unknown key"),
        (
            "[rules.renewal_due]\nwithin_days = -1\n",
            "rules.toml:2: rules.renewal_due.within_days: Input should be",
        ),
        ("[rules.nearlimit]\nenabled = true\n", "rules.toml:1: rules.nearlimit: unknown key"),
        (
            '[rules.near_limit]\nnotify = "sms"\n',
            "rules.near_limit.notify[0]: Input should be 'webhook', 'owner'",
        ),
        (
            '[rules.exhausted]\nwebhook_url = "ftp://x"\n',
            "rules.exhausted.webhook_url: 'ftp://x' is not an http",
        ),
        (
            '[routing]\nteam_email = "nobody"\n',
            "rules.toml:2: routing.team_email[0]: 'nobody' is not an email",
        ),
        (
            '[[rules.near_limit.overrides]]\ntier = "Pro"\n\n[[rules.near_limit.overrides]]\ntierr = "X"\n',
            "rules.toml:5: rules.near_limit.overrides[1].tierr: unknown key",
        ),
        (
            '[[rules.exhausted.overrides]]\nnotify = "team"\n',
            "rules.exhausted.overrides[0]: give plan, tier or owner",
        ),
        ("x = = 1\n", "rules.toml:1: not valid TOML"),
    ],
)
def test_bad_rules_name_the_file_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ProblemsError) as caught:
        parse_rules(text, path="rules.toml")
    assert expected in "\n".join(str(p) for p in caught.value.problems)


def test_a_single_name_or_address_is_a_list_of_one() -> None:
    rules = parse_rules(
        '[routing]\nteam_email = "a@example.com"\n[rules.near_limit]\nnotify = "team"\n'
        '[[rules.near_limit.overrides]]\ntier = "Pro"\nenabled = false\n'
    )
    assert rules.routing.team_email == ("a@example.com",)
    assert rules.rule("near_limit").notify == ("team",)
    assert rules.rule("near_limit").overrides[0].tier == ("Pro",)
    assert rules.rule("near_limit").overrides[0].notify is None  # keeps the rule's value


def test_a_missing_rules_file_is_an_error() -> None:
    with pytest.raises(ProblemsError, match="no such rules file"):
        load_rules(Path("/nonexistent/alerts.toml"))


def test_alerts_rules_prints_the_effective_rules_without_webhook_secrets(tmp_path: Path, world: Path) -> None:
    rules = write_rules(
        tmp_path,
        "[rules.milestone_at_risk]\nminutes_before = 30\n[[rules.near_limit.overrides]]\n"
        'tier = ["Enterprise", "Premier"]\nnotify = ["webhook", "team"]\n'
        '[routing.owners]\n"Olu Ade" = "olu@example.com"\n',
    )
    done = alerts_cli(
        world,
        "rules",
        "--rules",
        str(rules),
        env={"ENTITLEMENTS_ALERTS_WEBHOOK_URL": "https://hooks.example.com/services/T0/B0/SECRET"},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for rule_id in RULE_IDS:
        assert f"\n{rule_id} · " in out
    assert "an open milestone is 30 business minutes or less from its target" in out
    assert "override 1 (tier Enterprise or Premier): notify = [webhook, team]" in out
    assert "webhook https://hooks.example.com/… (json)" in out and "SECRET" not in out
    assert "case_paused · warning · enabled\n" in out  # paused clocks are computed: the rule runs
    assert "owners with an address: 1 (Olu Ade)" in out


def test_a_bad_rules_file_stops_the_command_before_the_database(tmp_path: Path) -> None:
    rules = write_rules(tmp_path, "[rules.near_limit]\nenabled = true\nnotfy = 1\n")
    missing = tmp_path / "no-such.duckdb"
    done = alerts_cli(missing, "run", "--rules", str(rules))
    assert done.returncode == 1
    assert f"{rules}:3: rules.near_limit.notfy: unknown key" in done.stderr
    assert not missing.exists()
