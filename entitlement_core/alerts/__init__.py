"""Alerts: rules, once-per-crossing evaluation, the outbox and its delivery, the feed and the digest.

The public surface:

- :func:`load_rules` / :func:`parse_rules`: the rules file (TOML), validated;
- :func:`run_alerts`: the ``alerts run`` job (evaluate, record, deliver);
  :func:`evaluate`: what it would do (read-only);
- :func:`deliver_pending`: send what the outbox holds;
- :func:`feed` and :func:`acknowledge`: the app's Alerts page;
- :func:`build_digests`: the weekly digest per owner (Markdown and HTML).
"""

from .digest import Digest, build_digests
from .evaluation import Evaluation, evaluate
from .feed import FEED_COLUMNS, acknowledge, feed, feed_owners
from .rules import RULE_IDS, RULE_SEVERITY, RULE_TITLES, RuleSet, load_rules, parse_rules
from .runner import EXIT_DELIVERY_FAILED, deliver_pending, run_alerts

__all__ = [
    "EXIT_DELIVERY_FAILED",
    "FEED_COLUMNS",
    "RULE_IDS",
    "RULE_SEVERITY",
    "RULE_TITLES",
    "Digest",
    "Evaluation",
    "RuleSet",
    "acknowledge",
    "build_digests",
    "deliver_pending",
    "evaluate",
    "feed",
    "feed_owners",
    "load_rules",
    "parse_rules",
    "run_alerts",
]
