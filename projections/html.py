"""Self-contained HTML reports a director or an inspector reads on screen, on a phone and on paper.

:func:`school_report` renders ``ledger stats school --html``; :func:`clea_report` renders
``ledger stats clea --html``. No script, no external asset (no CDN): the charts are inline SVG
drawn here with care — a y axis from a zero baseline with round ticks and its unit, every bar
labelled with its value, a ``<title>``/``<desc>`` for screen readers, and the same figures as a
``<table>`` beneath each chart (the accessible fallback; also what is printed). Every figure is
labelled in the reader's language (French by default) with its legal meaning and article; data
caveats are footnotes. Colours: the Okabe–Ito palette, text at a contrast of at least 4.5:1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from ledger.i18n import _, current, format_date, format_number, format_percent

# Okabe–Ito, colour-blind safe; bars carry their value as text, so colour is never the only cue.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000")
STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:1rem;
max-width:60rem;color:#1a1a1a;background:#fff;line-height:1.45}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.2rem;margin-top:2em;border-bottom:2px solid #0072B2}
figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}
.meaning{color:#333;font-size:.95rem;margin:.2em 0 .6em}
svg{width:100%;height:auto;display:block}
.scroll{overflow-x:auto;max-width:100%}.scroll:focus{outline:2px solid #0b57d0}
table{border-collapse:collapse;font-size:.9rem;margin:.5em 0}
th,td{border:1px solid #767676;padding:.25em .5em;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}
.legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.3em 1.2em}
.legend span{display:inline-block;width:.9em;height:.9em;margin-right:.35em;vertical-align:-.1em}
.notes{font-size:.85rem;color:#333;border-top:1px solid #767676;margin-top:2em}
sup a{text-decoration:none}
@media (max-width:40rem){body{padding:.6rem}h1{font-size:1.25rem}table{font-size:.8rem}}
@media print{body{max-width:none;padding:0;font-size:10pt}h2{break-after:avoid}
figure,table{break-inside:avoid}a{color:inherit}.scroll{overflow:visible}}
"""


def _nice_top(value: float) -> float:
    """A round upper bound for the axis (1, 2, 2.5, 5 × 10ⁿ) at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value))


def _value(value: float, unit: str) -> str:
    return format_percent(value, 0) if unit == "%" else format_number(value)


def bar_chart(
    title: str,
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    width: int = 720,
    height: int = 300,
    unit: str = "",
    ident: str = "chart",
) -> str:
    """Grouped bars (one group per label, one bar per series) as a responsive inline ``<svg>``.

    ``unit`` is ``%`` for ratios (values in 0–1, shown as percentages) or a word naming what
    is counted (``élèves``); the axis starts at zero and says the unit.
    """
    top = 1.0 if unit == "%" else _nice_top(max([v for _, values in series for v in values] + [0]))
    left, right, head, bottom = 56, 10, 28, 46
    inner_h, inner_w = height - head - bottom, width - left - right
    slot = inner_w / max(len(groups), 1)
    bar = slot * 0.8 / max(len(series), 1)
    base = head + inner_h
    desc = "; ".join(
        f"{g}: " + ", ".join(f"{name} {_value(values[i], unit)}" for name, values in series)
        for i, g in enumerate(groups)
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>',
        f'<text x="{left}" y="14" font-size="12" fill="#1a1a1a">{escape(unit)}</text>',
    ]
    for k in range(5):  # ticks at 0, ¼, ½, ¾ and the top
        v = top * k / 4
        y = base - inner_h * k / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{"#1a1a1a" if k == 0 else "#d0d0d0"}" stroke-width="{1.5 if k == 0 else 1}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#1a1a1a">'
            f"{escape(_value(v, unit))}</text>"
        )
    for g, label in enumerate(groups):
        x0 = left + g * slot + slot * 0.1
        for s, (name, values) in enumerate(series):
            value = values[g]
            h = inner_h * min(value, top) / top
            x = x0 + s * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar * 0.92:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(label)} — {escape(name)} : '
                f"{escape(_value(value, unit))}</title></rect>"
            )
            if bar >= 14:
                parts.append(
                    f'<text x="{x + bar * 0.46:.1f}" y="{base - h - 3:.1f}" font-size="10" '
                    f'text-anchor="middle" fill="#1a1a1a">{escape(_value(value, unit))}</text>'
                )
        parts.append(
            f'<text x="{x0 + slot * 0.4:.1f}" y="{base + 16}" font-size="11" text-anchor="middle" '
            f'fill="#1a1a1a">{escape(label)}</text>'
        )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span style="background:{COLOURS[s % len(COLOURS)]}"></span>{escape(name)}</li>'
        for s, (name, _v) in enumerate(series)
    )
    return "".join(parts) + f'<ul class="legend" aria-hidden="true">{legend}</ul>'


def figure(
    title: str,
    meaning: str,
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    unit: str,
    ident: str,
    note: int | None = None,
) -> str:
    """A chart with its caption, its legal meaning and the same figures as a table."""
    note_word = _("note")
    mark = (
        f'<sup><a href="#note-{note}" aria-label="{escape(note_word)} {note}">{note}</a></sup>'
        if note
        else ""
    )
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name, _v in series)
    rows = "".join(
        f'<tr><th scope="row">{escape(g)}</th>'
        + "".join(f"<td>{escape(_value(values[i], unit))}</td>" for _n, values in series)
        + "</tr>"
        for i, g in enumerate(groups)
    )
    figures = _("The figures of the chart")
    return (
        f'<figure aria-labelledby="{ident}-c"><figcaption id="{ident}-c">{escape(title)}{mark}</figcaption>'
        f'<p class="meaning">{escape(meaning)}</p>{bar_chart(title, groups, series, unit=unit, ident=ident)}'
        f'{_scroller(title)}<table><caption class="meaning">{escape(figures)}'
        f"{' (' + escape(unit) + ')' if unit and unit != '%' else ''}</caption>"
        f'<tr><th scope="col"></th>{head}</tr>{rows}</table></div></figure>'
    )


def page(title: str, body: str, notes: Sequence[str] = ()) -> str:
    """A complete, responsive, printable HTML document in the current language."""
    footer = ""
    if notes:
        items = "".join(f'<li id="note-{i}">{escape(n)}</li>' for i, n in enumerate(notes, 1))
        heading = _("Notes")
        footer = f'<section class="notes"><h2>{escape(heading)}</h2><ol>{items}</ol></section>'
    return (
        f'<!DOCTYPE html><html lang="{current()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1>{body}{footer}</main></body></html>"
    )


def html_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], label: str | None = None
) -> str:
    """A table in a horizontal scroller (phones).

    ``columns`` are (key, heading) pairs; ``label`` names the scroller for screen readers.
    """
    head = "".join(f'<th scope="col">{escape(h)}</th>' for _k, h in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(r.get(k)))}</td>" for k, _h in columns) + "</tr>" for r in rows
    )
    return f"{_scroller(label)}<table><tr>{head}</tr>{body}</table></div>"


def _scroller(label: str | None) -> str:
    """The opening of a table's horizontal scroller: focusable, so a keyboard can scroll it too."""
    name = label or _("Table (scrolls sideways on a small screen)")
    return f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(name)}">'


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def _school_year(y: int) -> str:
    return f"{y}-{y + 1}"


def school_report(stats: dict[str, Any], extra: str = "") -> str:
    """The HTML report of one school (CPU, Arrêté du 29 août 2018).

    ``extra``: further sections, already escaped HTML (the law's facts, :mod:`projections.law_facts`).
    """
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
    pupils = _("pupils")
    funnel = figure(
        _("From 4th year to the qualification certificate (CQ), by cohort"),
        _(
            "Pupils admitted in 4th year at this school in the cohort's year, how many reached 5th and 6th, "
            "and how many hold a valid CQ awarded by the jury de "
            "qualification (Arrêté of 29 August 2018, Art. 5)."
        ),
        [_("cohort {year}").format(year=_school_year(k)) for k in keys],
        [
            (name, [cohorts[k][key] for k in keys])
            for name, key in (
                (_("admitted in 4th"), "entered_4th"),
                (_("reached 5th"), "reached_5th"),
                (_("reached 6th"), "reached_6th"),
                (_("valid CQ"), "cq"),
            )
        ],
        pupils,
        "funnel",
    )
    years = sorted(rates)
    passes = figure(
        _("UAA validation rates"),
        _(
            "Share of the UAA validation tests passed, at the first sitting and over all sittings, by school "
            "year of the sitting (Arrêté of 29 August 2018, Art. 4: validation of each UAA)."
        ),
        [_school_year(y) for y in years],
        [
            (_("first sitting"), [rates[y][0] / rates[y][1] if rates[y][1] else 0 for y in years]),
            (_("all sittings"), [rates[y][2] / rates[y][3] if rates[y][3] else 0 for y in years]),
        ],
        "%",
        "passes",
    )
    rem = stats["remediation_vs_annex2"]
    remediation = figure(
        _("Remediation periods due and the Annex II allocation"),
        _(
            "Teacher-periods due for remediation (Arrêté of 29 August "
            "2018, Art. 10 §3: 0.25 per pupil of 4th "
            "and 5th from the 2nd year of implementation, plus 0.45 "
            "per pupil of 6th from the 4th) beside the "
            "school's NTPP of Annex II."
        ),
        [_school_year(r["school_year"]) for r in rem],
        [
            (_("periods due (Art. 10 §3)"), [r["periods_due"] for r in rem]),
            (_("Annex II NTPP"), [r["annex2_ntpp"] for r in rem]),
        ],
        _("teacher-periods"),
        "remediation",
        note=2,
    )
    reports = stats["competence_reports"]
    where = _("FASE {fase} — {school} ({locality})").format(
        fase=stats["fase"], school=stats["school"], locality=stats["locality"]
    )
    why = _(
        "When a pupil changes school, the school he leaves sends a report of the competences "
        "acquired (Arrêté of 29 August 2018, Art. 9)."
    )
    owed = _("Competence reports owed by the school (Art. 9)")
    body = (
        f"<p>{escape(where)}"
        f'<sup><a href="#note-1">1</a></sup></p>'
        f"{funnel}{passes}{remediation}"
        f"<h2>{escape(owed)}</h2>"
        f'<p class="meaning">{escape(why)}</p>'
        f"{html_table([reports], [(k, _report_heading(k)) for k in reports])}"
        f"{extra}"
    )
    notes = [
        _(
            "Figures computed from the decisions recorded in the ledger only; a decision not recorded is not "
            "counted. Enrolment is counted at 1 October."
        ),
        _(
            "Maintenance norm used: {norm} ({source}). The §2 "
            "recalculation and the §4 transitional rates for "
            "transformed options are not computed; C3D pupils are not recorded."
        ).format(norm=stats["norms"]["maintenance_norm"], source=_norm_source(stats["norms"])),
    ]
    return page(_("School statistics — FASE {fase}").format(fase=stats["fase"]), body, notes)


def _norm_source(norms: dict[str, Any]) -> str:
    """Where the maintenance norm comes from, in the reader's words (the JSON keeps its code)."""
    if str(norms.get("maintenance_norm_source", "")).startswith("ASSUMED"):
        return _(
            "an assumed default: the maintenance norm of the 5th year (AECF of 31 August 1992, art. 12 "
            "§1) is not in our sources; give it with --maintenance-norm"
        )
    return _("given by the school with --maintenance-norm")


def _report_heading(key: str) -> str:
    return {
        "overdue_unsent": _("overdue, not sent"),
        "sent_late": _("sent late"),
        "sent_on_time": _("sent on time"),
        "owed": _("owed"),
        "requested": _("requested"),
        "pending": _("pending (not yet due)"),
    }.get(key, key.replace("_", " "))


def clea_report(stats: dict[str, Any]) -> str:
    """The HTML report of the CléA statistics (Code du travail D6113-30, D6113-31; Certif'Pro)."""
    funnel = stats["funnel_by_region"]
    stages = (
        ("prealable", _("évaluation préalable")),
        ("planned", _("training plan")),
        ("trained", _("training done")),
        ("final_evaluated", _("final evaluation")),
        ("jury_awarded", _("jury decision")),
        ("certified", _("certified")),
    )
    chart = figure(
        _("CléA: from the évaluation préalable to the certificate, by region"),
        _(
            "Candidates at each step of the CléA route: the évaluation préalable, the training plan and the "
            "training, the final evaluation, the jury's decision and "
            "the certificate (Code du travail D6113-31; "
            "Certif'Pro's rules)."
        ),
        [f["region"] for f in funnel],
        [(name, [f[key] for f in funnel]) for key, name in stages],
        _("candidates"),
        "clea",
    )
    columns = [
        ("evaluator_siret", _("evaluating organisation (SIRET)")),
        ("region", _("region")),
        ("candidates", _("candidates")),
        ("certified", _("certified")),
        ("rate_text", _("rate")),
        ("median_days_to_certificate", _("median days to the certificate")),
        ("expired_windows", _("windows expired")),
        ("late_accrochage", _("late accrochage")),
    ]
    rows = [
        {**o, "rate_text": format_percent(o["rate"]) if o.get("rate") is not None else None}
        for o in stats["organisations"]
    ]
    reading = _("Reading date {date}").format(date=format_date(stats["as_of"]))
    by_organisation = _("By evaluating organisation")
    body = (
        f"<p>{escape(reading)}"
        f'<sup><a href="#note-1">1</a></sup></p>{chart}'
        f"<h2>{escape(by_organisation)}</h2>{html_table(rows, columns)}"
    )
    notes = [
        _(
            "Figures computed from the decisions recorded in the ledger "
            "only. Organisations are named by their "
            "SIRET number where the ledger holds no name."
        )
    ]
    return page(_("CléA statistics"), body, notes)
