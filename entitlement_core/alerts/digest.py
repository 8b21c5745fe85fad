"""The weekly digest per account owner, as Markdown and HTML.

One digest per owner and ISO week, four sections, each from the public
reports (so its figures are the reports' figures):

- near limit and exhausted: the ``near-limit`` report (near limit,
  exhausted, over cap), with the agent banner;
- upsell candidates: the ``upsell`` report, ranked;
- renewals due: the ``renewals`` report, terms ending within
  ``[digest] renewals_within_days`` and not renewed yet;
- milestones breached last week: the ``milestones`` report, violated with
  their target in the last ``[digest] breached_days`` days, worst first.

Cells are built column-wise (escaped for Markdown and for HTML); only the
owners are looped over.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import polars as pl

from .rules import DigestOptions

__all__ = ["DIGEST_REPORTS", "Digest", "build_digests", "iso_week"]

#: The reports a digest reads.
DIGEST_REPORTS = ("utilization", "near-limit", "upsell", "renewals", "milestones")


@dataclass(frozen=True)
class Digest:
    """One owner's digest for one ISO week."""

    owner: str
    week: str
    subject: str
    markdown: str
    html: str
    counts: tuple[int, int, int, int]

    @property
    def key(self) -> str:
        """The idempotency key of its email: one per owner and week."""
        return f"digest:{self.owner}@{self.week}"


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _md(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.String).fill_null("—").str.replace_all(r"([\\|*_\[\]<>`#])", r"\$1")


def _html(col: pl.Expr) -> pl.Expr:
    text = col.cast(pl.String).fill_null("—")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.str.replace_all(raw, entity, literal=True)
    return text


def _num(col: str, digits: int = 1) -> pl.Expr:
    """A number as people read it: ``3``, ``12.5`` (whole numbers without decimals)."""
    value = pl.col(col).round(digits)
    return (
        pl.when(value == value.round(0))
        .then(value.cast(pl.Int64).cast(pl.String))
        .otherwise(value.cast(pl.String))
    )


@dataclass(frozen=True)
class _Section:
    title: str
    page: str
    cells: dict[str, pl.Expr]


def _sections(
    reports: Mapping[str, pl.DataFrame], options: DigestOptions, *, as_of: dt.datetime
) -> list[pl.DataFrame]:
    """Per section, ``owner`` plus one text column per cell (in display order)."""
    names = reports["utilization"].select("entitlement_id", "account_name")
    near = reports["near-limit"].filter(pl.col("status").is_in(["near_limit", "exhausted", "over_cap"]))
    upsell = reports["upsell"]
    renewals = reports["renewals"].filter(
        ~pl.col("is_renewed").fill_null(False)
        & pl.col("days_to_end").is_between(0, options.renewals_within_days)
    )
    since = as_of - dt.timedelta(days=options.breached_days)
    breached = (
        reports["milestones"]
        .filter(
            (pl.col("status") == "violated") & (pl.col("target_at") > since) & (pl.col("target_at") <= as_of)
        )
        .join(names, on="entitlement_id", how="left")
        .with_columns(((pl.col("elapsed_minutes") - pl.col("target_minutes")) / 60).alias("over_hours"))
    )
    used = pl.concat_str(_num("consumed", 2), pl.lit(" / "), _num("cap", 2), pl.lit(" "), pl.col("unit"))
    frames = [
        near.sort("pct_used", descending=True, nulls_last=True).select(
            "owner",
            Account="account_name",
            Entitlement="entitlement_id",
            Status=pl.col("status").str.replace_all("_", " "),
            Used=used,
            Banner="banner",
        ),
        upsell.sort("rank").select(
            "owner",
            Rank=pl.col("rank").cast(pl.String),
            Account="account_name",
            Entitlement="entitlement_id",
            Why="upsell_reason",
            **{
                "Expected shortfall": pl.concat_str(_num("expected_shortfall"), pl.lit(" "), pl.col("unit")),
                "Likely at end (10-90%)": pl.concat_str(
                    _num("projected_p10", 0),
                    pl.lit(" - "),
                    _num("projected_p90", 0),
                    pl.lit(" "),
                    pl.col("unit"),
                ),
            },
            Recommended="recommended_plan",
        ),
        renewals.sort("days_to_end", "entitlement_id").select(
            "owner",
            Account="account_name",
            Entitlement="entitlement_id",
            Ends=pl.col("end_date").cast(pl.String),
            Days=pl.col("days_to_end").cast(pl.String),
            Used=(pl.col("pct_used") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%",
            Recommended="recommended_plan",
        ),
        breached.sort("over_hours", descending=True, nulls_last=True).select(
            "owner",
            Case="case_id",
            Milestone="milestone",
            Account="account_name",
            Target=pl.col("target_at").dt.strftime("%Y-%m-%d %H:%M UTC"),
            **{"Late by (business h)": _num("over_hours")},
            Status=pl.when(pl.col("completed_at").is_null())
            .then(pl.lit("open"))
            .otherwise(pl.lit("completed late")),
        ),
    ]
    return frames


_TITLES = (
    ("Near limit and exhausted", "utilization"),
    ("Upsell candidates", "upsell"),
    ("Renewals due", "renewals"),
    ("Milestones breached last week", "sla"),
)


def _table(rows: pl.DataFrame, max_rows: int) -> tuple[str, str]:
    """A section's rows as a Markdown table and an HTML table (at most ``max_rows``)."""
    if rows.is_empty():
        return "Nothing this week.", "<p>Nothing this week.</p>"
    cols = [c for c in rows.columns if c != "owner"]
    shown = rows.head(max_rows)
    more = rows.height - shown.height
    md_rows = shown.select(pl.concat_str([_md(pl.col(c)) for c in cols], separator=" | ").alias("r"))["r"]
    html_rows = shown.select(
        pl.concat_str(
            [
                pl.lit("<tr>"),
                *[pl.concat_str(pl.lit("<td>"), _html(pl.col(c)), pl.lit("</td>")) for c in cols],
                pl.lit("</tr>"),
            ]
        ).alias("r")
    )["r"]
    md = "\n".join(
        ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols), *("| " + r + " |" for r in md_rows)]
    )
    head = "".join(f'<th style="text-align:left;padding-right:12px">{html.escape(c)}</th>' for c in cols)
    table = f'<table style="border-collapse:collapse"><tr>{head}</tr>{"".join(html_rows)}</table>'
    if more:
        md += f"\n\n… and {more} more (see the app)."
        table += f"<p>… and {more} more (see the app).</p>"
    return md, table


def build_digests(
    reports: Mapping[str, pl.DataFrame],
    options: DigestOptions,
    *,
    as_of: dt.datetime,
    app_url: str,
    owners: list[str] | None = None,
) -> list[Digest]:
    """The digest of every owner (or of ``owners``), sorted by owner.

    Owners are those of the entitlements in the utilization report; an owner
    with nothing to report still gets a digest saying so.
    """
    week = iso_week(as_of.date())
    frames = _sections(reports, options, as_of=as_of)
    everyone = sorted({o for o in reports["utilization"]["owner"].drop_nulls().to_list()})
    chosen = everyone if owners is None else sorted(set(owners))
    parts = [{key[0]: frame for key, frame in f.partition_by("owner", as_dict=True).items()} for f in frames]
    digests = []
    for owner in chosen:  # one digest per owner: output, not analytics
        rows = [part.get(owner, frames[i].clear()) for i, part in enumerate(parts)]
        counts = tuple(r.height for r in rows)
        md = [f"# Weekly digest for {owner}", "", f"Week {week}, as of {as_of.date().isoformat()}."]
        body = [f"<h1>Weekly digest for {html.escape(owner)}</h1><p>Week {week}, as of {as_of.date()}.</p>"]
        for (title, page), part in zip(_TITLES, rows, strict=True):
            query = {
                "owner": owner,
                **({"within": min(options.renewals_within_days, 365)} if page == "renewals" else {}),
            }
            link = f"{app_url.rstrip('/')}/{page}?{urlencode(query)}"
            table_md, table_html = _table(part, options.max_rows)
            md += ["", f"## {title} ({part.height})", "", table_md, "", f"[Open in the app]({link})"]
            body.append(f"<h2>{html.escape(title)} ({part.height})</h2>{table_html}")
            body.append(f'<p><a href="{html.escape(link, quote=True)}">Open in the app</a></p>')
        subject = (
            f"Weekly digest {week} for {owner}: {counts[0]} near limit or exhausted, {counts[1]} upsell, "
            f"{counts[2]} renewal(s) due, {counts[3]} milestone(s) breached"
        )
        page = '<!doctype html><html><body style="font-family:sans-serif">' + "".join(body) + "</body></html>"
        digests.append(Digest(owner, week, subject, "\n".join(md) + "\n", page, counts))  # type: ignore[arg-type]
    return digests
