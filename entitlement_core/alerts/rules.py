"""Alert rules: the TOML rules file, validated, with defaults for every key.

The file (``alerts.toml`` beside the project, or the one
``ENTITLEMENTS_ALERTS_RULES`` names) has three parts, each optional::

    [routing]                   # where alerts go
    team_email = "support-leads@example.com"
    [routing.owners]            # account owner -> email address
    "Priya Raman" = "priya.raman@example.com"

    [rules.near_limit]          # one table per rule (RULE_IDS), every key optional
    notify = ["webhook", "owner"]
    [[rules.near_limit.overrides]]
    tier = "Enterprise"         # match on plan, tier and/or owner (a name or a list)
    notify = ["webhook", "owner", "team"]

    [digest]                    # the weekly digest per owner
    renewals_within_days = 90

An override sets any key of its rule (but ``overrides``) for the records it
matches: the first override whose every given field matches wins; keys it
does not set keep the rule's value. Errors name the file, the key and its
line (:func:`load_rules`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from ..problems import Problem, ProblemsError

__all__ = [
    "MATCH_FIELDS",
    "RULE_IDS",
    "RULE_SEVERITY",
    "RULE_TITLES",
    "Channel",
    "DigestOptions",
    "Routing",
    "RuleSet",
    "load_rules",
    "parse_rules",
    "rule_params",
]

#: The rules, in the order alerts are listed (the file's ``[rules.<id>]`` tables).
RULE_IDS = (
    "near_limit",
    "exhausted",
    "over_cap",
    "projected_run_out",
    "milestone_at_risk",
    "milestone_violated",
    "case_paused",
    "renewal_due",
    "unmatched_cases",
)
RULE_TITLES = {
    "near_limit": "Near limit",
    "exhausted": "Exhausted",
    "over_cap": "Over cap",
    "projected_run_out": "Projected to run out",
    "milestone_at_risk": "Milestone at risk",
    "milestone_violated": "Milestone violated",
    "case_paused": "Case paused",
    "renewal_due": "Renewal due",
    "unmatched_cases": "New unmatched cases",
}
RULE_SEVERITY = {
    "near_limit": "warning",
    "exhausted": "critical",
    "over_cap": "critical",
    "projected_run_out": "info",
    "milestone_at_risk": "warning",
    "milestone_violated": "critical",
    "case_paused": "warning",
    "renewal_due": "info",
    "unmatched_cases": "warning",
}
#: The record fields an override matches on.
MATCH_FIELDS = ("plan", "tier", "owner")

#: ``webhook``: the rule's webhook (else the default one); ``owner``: the account owner's
#: address in ``[routing.owners]``; ``team``: ``routing.team_email``.
Channel = Literal["webhook", "owner", "team"]

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


def _listed(value: Any) -> Any:
    """A single string where a list is expected is a list of one."""
    return [value] if isinstance(value, str) else value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


Email = Annotated[str, BeforeValidator(lambda v: _email(v) if isinstance(v, str) else v)]
Emails = Annotated[tuple[Email, ...], BeforeValidator(_listed)]
Names = Annotated[tuple[str, ...], BeforeValidator(_listed)]
Url = Annotated[str | None, BeforeValidator(lambda v: _url(v) if isinstance(v, str) else v)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Rule(_Strict):
    """Keys every rule has."""

    enabled: bool = True
    notify: Annotated[tuple[Channel, ...], BeforeValidator(_listed)] = ("webhook",)
    webhook_url: Url = None
    webhook_format: Literal["json", "slack"] | None = None
    email: Emails = ()


class _Entitlement(_Rule):
    notify: Annotated[tuple[Channel, ...], BeforeValidator(_listed)] = ("webhook", "owner")


class _Critical(_Rule):
    notify: Annotated[tuple[Channel, ...], BeforeValidator(_listed)] = ("webhook", "owner", "team")


class _Team(_Rule):
    notify: Annotated[tuple[Channel, ...], BeforeValidator(_listed)] = ("webhook", "team")


class _ProjectedRunOut(_Entitlement):
    within_days: int | None = Field(None, ge=0, le=3650)
    min_probability: float = Field(0.5, ge=0, le=1)


class _AtRisk(_Team):
    minutes_before: float | None = Field(None, gt=0, le=10**7)


class _Violated(_Team):
    lookback_hours: float = Field(24.0, gt=0, le=24 * 366)


class _Paused(_Team):
    threshold_minutes: float = Field(480.0, gt=0, le=10**7)


class _RenewalDue(_Entitlement):
    within_days: int = Field(30, ge=0, le=3650)


class _Unmatched(_Team):
    lookback_days: int = Field(7, ge=1, le=3650)


_RULE_MODELS: dict[str, type[_Rule]] = {
    "near_limit": _Entitlement,
    "exhausted": _Critical,
    "over_cap": _Critical,
    "projected_run_out": _ProjectedRunOut,
    "milestone_at_risk": _AtRisk,
    "milestone_violated": _Violated,
    "case_paused": _Paused,
    "renewal_due": _RenewalDue,
    "unmatched_cases": _Unmatched,
}


def rule_params(rule_id: str) -> tuple[str, ...]:
    """The keys of one rule (common ones first), as the file names them."""
    return tuple(_RULE_MODELS[rule_id].model_fields)


def _with_overrides(rule_id: str, model: type[_Rule]) -> type[_Rule]:
    """The rule's model plus ``overrides``: a list of partial copies with match fields."""
    fields: dict[str, Any] = {name: (Names | None, None) for name in MATCH_FIELDS}
    for name, info in model.model_fields.items():
        annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        fields[name] = (annotation | None, None)
    override = create_model(f"{model.__name__.strip('_')}Override", __base__=_Strict, **fields)
    return create_model(  # type: ignore[no-any-return, call-overload]
        f"{rule_id}_rule", __base__=model, overrides=(tuple[override, ...], ())
    )


_RULES = {rule_id: _with_overrides(rule_id, model) for rule_id, model in _RULE_MODELS.items()}
Rules = create_model(  # type: ignore[call-overload]
    "Rules", __base__=_Strict, **{rule_id: (model, model()) for rule_id, model in _RULES.items()}
)


class Routing(_Strict):
    """Where alerts go: the default webhook, the team's addresses, the owners' addresses."""

    webhook_url: Url = None
    webhook_format: Literal["json", "slack"] | None = None
    team_email: Emails = ()
    owners: dict[str, Email] = Field(default_factory=dict)


class DigestOptions(_Strict):
    """What the weekly digest lists (``[digest]``)."""

    renewals_within_days: int = Field(90, ge=1, le=3650)
    breached_days: int = Field(7, ge=1, le=366)
    max_rows: int = Field(50, ge=1, le=10_000)


class RuleSet(_Strict):
    """The whole rules file (``path``: where it came from, for messages)."""

    routing: Routing = Routing()
    digest: DigestOptions = DigestOptions()
    rules: Rules = Rules()  # type: ignore[valid-type]
    path: str = "(defaults)"

    def rule(self, rule_id: str) -> Any:
        return getattr(self.rules, rule_id)

    def overrides_check(self) -> list[Problem]:
        """Overrides that match nothing (no plan, tier or owner): almost certainly a mistake."""
        found = []
        for rule_id in RULE_IDS:
            for i, override in enumerate(self.rule(rule_id).overrides):
                if all(getattr(override, name) is None for name in MATCH_FIELDS):
                    found.append(
                        Problem(
                            file=self.path,
                            message=f"rules.{rule_id}.overrides[{i}]: give plan, tier or owner to match on",
                        )
                    )
        return found


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of a key in the TOML text, best effort: the last key name after its table header."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    if not names:
        return None
    lines = text.splitlines()
    start = 0
    for depth in range(len(names), 0, -1):
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(".".join(names[:depth])) + r"\s*\]\]?\s*(#.*)?$")
        hits = [i for i, line in enumerate(lines) if header.match(line)]
        if hits:
            index = [p for p in loc if isinstance(p, int)]
            start = hits[min(index[-1], len(hits) - 1)] if index and len(hits) > 1 else hits[0]
            if depth == len(names):
                return start + 1
            break
    key = re.compile(r'^\s*"?' + re.escape(names[-1]) + r'"?\s*=')
    for i in range(start, len(lines)):
        if key.match(lines[i]):
            return i + 1
    return None


def parse_rules(text: str, *, path: str = "(text)") -> RuleSet:
    """A :class:`RuleSet` from TOML text; :class:`ProblemsError` names the file, key and line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(where.group(1)) if where else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)).strip()
        raise ProblemsError([Problem(file=path, line=line, message=f"not valid TOML: {message}")]) from None
    try:
        rules = RuleSet.model_validate({**data, "path": path})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key" + (
                    f" (the rule's keys: {', '.join(_known(loc))})" if _known(loc) else ""
                )
            problems.append(Problem(file=path, line=_line_of(text, loc), message=f"{_key(loc)}: {message}"))
        raise ProblemsError(problems) from None
    problems = rules.overrides_check()
    if problems:
        raise ProblemsError(problems)
    return rules


def _known(loc: tuple[Any, ...]) -> list[str]:
    if len(loc) >= 3 and loc[0] == "rules" and loc[1] in _RULE_MODELS:
        extra = [*MATCH_FIELDS] if "overrides" in loc else ["overrides"]
        return [*rule_params(str(loc[1])), *extra]
    return []


def load_rules(path: str | Path) -> RuleSet:
    """The rules file at ``path`` (a missing file is an error: the setting names a file)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProblemsError(
            [Problem(file=str(path), message="no such rules file (ENTITLEMENTS_ALERTS_RULES names it)")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsError([Problem(file=str(path), message=f"cannot read the rules file: {exc}")]) from None
    return parse_rules(text, path=str(path))
