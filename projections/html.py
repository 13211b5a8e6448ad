"""Self-contained HTML reports with inline SVG bar charts (no external assets, no script).

:func:`school_report` renders ``ledger stats school --html``: the cohort funnel from 4th year
to the CQ, UAA pass rates, and remediation periods due beside Annex II's allocation.
:func:`clea_report` renders ``ledger stats clea --html``: the funnel from the évaluation
préalable to the certificate by region.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf")
STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}h2{margin-top:1.5em}"
    ".legend span{display:inline-block;margin-right:1em}"
)


def bar_chart(
    title: str,
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    width: int = 720,
    height: int = 260,
) -> str:
    """Grouped bars: one group per label, one bar per series; an inline ``<svg>``."""
    top = max([v for _, values in series for v in values] + [1e-9])
    left, bottom, inner_h = 50, 40, height - 70
    slot = (width - left - 10) / max(len(groups), 1)
    bar = slot * 0.8 / max(len(series), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#444"/>',
        f'<text x="{left - 6}" y="{height - bottom - inner_h + 4}" font-size="10" '
        f'text-anchor="end">{_fmt(top)}</text>',
    ]
    for g, label in enumerate(groups):
        x0 = left + g * slot + slot * 0.1
        for s, (_, values) in enumerate(series):
            value = values[g]
            h = inner_h * value / top
            parts.append(
                f'<rect x="{x0 + s * bar:.1f}" y="{height - bottom - h:.1f}" '
                f'width="{bar * 0.95:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(label)}: '
                f"{_fmt(value)}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + slot * 0.4:.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for s, (name, _) in enumerate(series):
        parts.append(
            f'<rect x="{left + s * 150}" y="{height - 16}" width="10" height="10" '
            f'fill="{COLOURS[s % len(COLOURS)]}"/><text x="{left + s * 150 + 14}" '
            f'y="{height - 7}" font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def page(title: str, body: str) -> str:
    """A complete HTML document."""
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def html_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain HTML table."""
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def school_report(stats: dict[str, Any], extra: str = "") -> str:
    """The HTML report of one school (``extra``: further sections, already escaped HTML)."""
    cohorts: dict[int, dict[str, int]] = {}
    rates: dict[int, list[float]] = {}
    for opt in stats["options"]:
        for c in opt["cohorts"]:
            acc = cohorts.setdefault(
                c["cohort"], dict.fromkeys(("entered_4th", "reached_5th", "reached_6th", "cq"), 0)
            )
            for key in acc:
                acc[key] += c[key]
        for y in opt["years"]:
            if y["attempts"]:
                r = rates.setdefault(y["school_year"], [0, 0, 0, 0])
                r[0] += (y["first_attempt_pass_rate"] or 0) * y["first_attempts"]
                r[1] += y["first_attempts"]
                r[2] += (y["attempt_pass_rate"] or 0) * y["attempts"]
                r[3] += y["attempts"]
    keys = sorted(cohorts)
    funnel = bar_chart(
        "Cohort funnel: 4th year → CQ",
        [f"cohort {k}" for k in keys],
        [
            (label, [cohorts[k][key] for k in keys])
            for label, key in (
                ("entered 4th", "entered_4th"),
                ("reached 5th", "reached_5th"),
                ("reached 6th", "reached_6th"),
                ("CQ", "cq"),
            )
        ],
    )
    years = sorted(rates)
    passes = bar_chart(
        "UAA pass rates",
        [f"{y}-{y + 1}" for y in years],
        [
            ("first attempt", [rates[y][0] / rates[y][1] if rates[y][1] else 0 for y in years]),
            ("all attempts", [rates[y][2] / rates[y][3] if rates[y][3] else 0 for y in years]),
        ],
    )
    rem = stats["remediation_vs_annex2"]
    remediation = bar_chart(
        "Remediation teacher-periods due (Art. 10 §3) vs Annex II NTPP",
        [f"{r['school_year']}-{r['school_year'] + 1}" for r in rem],
        [
            ("periods due", [r["periods_due"] for r in rem]),
            ("Annex II NTPP", [r["annex2_ntpp"] for r in rem]),
        ],
    )
    body = (
        f"<p>FASE {stats['fase']} — {escape(stats['school'])} ({escape(stats['locality'])})</p>"
        f"{funnel}{passes}{remediation}<h2>Competence reports owed</h2>"
        f"{html_table([stats['competence_reports']], list(stats['competence_reports']))}"
        f"<p>Maintenance norm: {escape(str(stats['norms']['maintenance_norm']))} — "
        f"{escape(stats['norms']['maintenance_norm_source'])}</p>{extra}"
    )
    return page(f"School statistics — FASE {stats['fase']}", body)


def clea_report(stats: dict[str, Any]) -> str:
    """The HTML report of the CléA statistics."""
    funnel = stats["funnel_by_region"]
    stages = ("prealable", "planned", "trained", "final_evaluated", "jury_awarded", "certified")
    chart = bar_chart(
        "CléA funnel by region: évaluation préalable → certificate",
        [f["region"] for f in funnel],
        [(stage, [f[stage] for f in funnel]) for stage in stages],
        width=960,
    )
    columns = [
        "evaluator_siret",
        "region",
        "candidates",
        "certified",
        "rate",
        "median_days_to_certificate",
        "expired_windows",
        "late_accrochage",
    ]
    body = (
        f"<p>as of {stats['as_of']}</p>{chart}<h2>By organisation</h2>"
        f"{html_table(stats['organisations'], columns)}"
    )
    return page("CléA statistics", body)
