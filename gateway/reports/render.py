"""Renderers: the same report as a text table, as CSV, or as one self-contained HTML file.

The HTML has no JavaScript and no external assets; its charts are inline SVG bar charts
built here, and every value that came from the log is escaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from html import escape

from gateway.reports.build import Disclosure, DisclosureReport, Report, Tally

AnyReport = Report | DisclosureReport

# Bars beyond this many are summed into one "(N others)" bar so a chart stays readable.
MAX_BARS = 15


def _ts(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%SZ") if ts else "-"


def _period(since: datetime | None, until: datetime | None) -> str:
    return f"{_ts(since) if since else 'the beginning'} to {_ts(until) if until else 'now'}"


def _sections(report: Report) -> list[tuple[str, Sequence[str], list[tuple[object, ...]]]]:
    """The report's tables as (title, headers, rows), shared by the text and HTML renderers."""
    q, p = report.quarantine, report.portal
    return [
        (
            "Summary",
            ("figure", "value"),
            [
                ("messages", report.messages),
                ("messages with PHI", report.messages_with_phi),
                ("events", report.events),
            ],
        ),
        ("Messages by action", ("action", "messages"), list(report.by_action)),
        ("Recipients by method", ("method", "recipients"), list(report.by_method)),
        ("Messages by rule", ("rule", "messages"), list(report.by_rule)),
        ("Messages by sender (keyed hash prefix)", ("sender", "messages"), list(report.by_sender)),
        ("Messages by recipient domain", ("domain", "messages"), list(report.by_domain)),
        (
            "Consent exceptions used",
            ("time", "consent id", "rule", "ref", "entity types"),
            [
                (_ts(c.ts), c.consent_id, c.rule, c.ref, " ".join(c.entities))
                for c in report.consent_uses
            ],
        ),
        ("Consent exceptions by consent id", ("consent id", "uses"), list(report.consent_by_id)),
        (
            "Misdirection catches",
            ("time", "ref", "domains", "action"),
            [(_ts(m.ts), m.ref_id, " ".join(m.domains), m.action) for m in report.misdirected],
        ),
        (
            "Quarantine",
            ("figure", "count"),
            list(q.labelled()),
        ),
        (
            "Portal pickups (items stored in the period)",
            ("figure", "count"),
            list(p.labelled()),
        ),
        (
            f"Keys and certificates expired or expiring within {report.expiring_days} days",
            ("kind", "address", "fingerprint", "not after", "days left", "status"),
            [
                (k.kind, k.address, k.fingerprint, _ts(k.not_after), k.days_left, k.status)
                for k in report.keys
            ],
        ),
    ]


def _disclosure_row(d: Disclosure) -> tuple[str, ...]:
    return (
        _ts(d.ts),
        d.ref_id,
        " ".join(d.domains),
        " ".join(d.entities),
        "; ".join(d.protection),
        " ".join(d.consent_ids),
    )


DISCLOSURE_HEADERS = (
    "time",
    "ref",
    "recipient domains",
    "entity types",
    "protection",
    "consent ids",
)


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    if not rows:
        return ["  (none)"]
    cells = [[str(h) for h in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return lines


def _header(report: AnyReport) -> list[str]:
    lines = [w] if (w := report.integrity.warning) else []
    if isinstance(report, Report):
        lines.append(f"phigate compliance report: {_period(report.since, report.until)}")
    else:
        lines.append(
            f"phigate accounting of disclosures for patient {report.roster_id}: "
            f"{_period(report.since, report.until)}"
        )
    chain = (
        f"verified, {report.integrity.checked} records"
        if report.integrity.ok
        else f"FAILED, {len(report.integrity.problems)} problem(s)"
    )
    lines.append(f"generated {_ts(report.generated_at)}; audit chain {chain}")
    return lines


def render_table(report: AnyReport) -> str:
    """A plain-text report for the terminal."""
    lines = _header(report)
    if isinstance(report, Report):
        for title, headers, rows in _sections(report):
            lines += ["", title, *_text_table(headers, rows)]
        lines += [f"  note: {n}" for n in report.key_notes]
    else:
        lines += ["", f"{len(report.disclosures)} message(s)"]
        lines += _text_table(DISCLOSURE_HEADERS, [_disclosure_row(d) for d in report.disclosures])
    return "\n".join(lines) + "\n"


def render_csv(report: AnyReport) -> str:
    """CSV: long form (section, name, value, detail) for the report, one row per message for disclosures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if w := report.integrity.warning:
        writer.writerow([w])
    if isinstance(report, Report):
        writer.writerow(["section", "name", "value", "detail"])
        writer.writerow(["period", "since", _ts(report.since), ""])
        writer.writerow(["period", "until", _ts(report.until), ""])
        writer.writerow(["integrity", "verified", "yes" if report.integrity.ok else "no", ""])
        for name, value in (
            ("messages", report.messages),
            ("messages_with_phi", report.messages_with_phi),
            ("events", report.events),
        ):
            writer.writerow(["summary", name, value, ""])
        for section, counts in (
            ("action", report.by_action),
            ("method", report.by_method),
            ("rule", report.by_rule),
            ("sender", report.by_sender),
            ("domain", report.by_domain),
            ("consent_id", report.consent_by_id),
        ):
            for name, n in counts:
                writer.writerow([section, name, n, ""])
        for c in report.consent_uses:
            writer.writerow(
                [
                    "consent_exception",
                    c.consent_id,
                    c.ref,
                    f"{_ts(c.ts)} rule={c.rule} entities={' '.join(c.entities)}",
                ]
            )
        for m in report.misdirected:
            writer.writerow(
                ["misdirected", m.ref_id, m.action, f"{_ts(m.ts)} {' '.join(m.domains)}"]
            )
        for section, figures in (("quarantine", report.quarantine), ("portal", report.portal)):
            for name, value in figures.counts():
                writer.writerow([section, name, value, ""])
        for k in report.keys:
            writer.writerow(
                [
                    "key",
                    k.fingerprint,
                    k.days_left,
                    f"{k.kind} {k.address} {_ts(k.not_after)} {k.status}",
                ]
            )
        for note in report.key_notes:
            writer.writerow(["key_note", "", "", note])
    else:
        writer.writerow(DISCLOSURE_HEADERS)
        for d in report.disclosures:
            writer.writerow(_disclosure_row(d))
    return out.getvalue()


def bar_chart(title: str, counts: Tally, *, width: int = 640) -> str:
    """A horizontal bar chart as inline SVG; labels and title are escaped."""
    bars = list(counts[:MAX_BARS])
    if len(counts) > MAX_BARS:
        rest = counts[MAX_BARS:]
        bars.append((f"({len(rest)} others)", sum(n for _, n in rest)))
    row_h, top, label_w, value_w = 22, 28, 220, 50
    height = top + row_h * max(len(bars), 1) + 8
    peak = max((n for _, n in bars), default=0) or 1
    span = width - label_w - value_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{top + 14}" font-size="12">(none)</text>')
    for i, (label, n) in enumerate(bars):
        y = top + i * row_h
        w = round(span * n / peak)
        short = label if len(label) <= 30 else label[:29] + "…"
        parts += [
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end">{escape(short)}</text>',
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="#3b6ea5">'
            f"<title>{escape(label)}: {n}</title></rect>",
            f'<text x="{label_w + w + 4}" y="{y + 14}" font-size="12">{n}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


_CSS = (
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left}"
    "th{background:#eee}.warning{background:#fdd;border:2px solid #c00;padding:.6em;font-weight:bold}"
    "figure{margin:1em 0}"
)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: AnyReport) -> str:
    """One self-contained HTML file: tables and inline SVG charts, no scripts, no links."""
    lines: list[str] = []
    warning = report.integrity.warning
    if warning:
        # First line of the file, ahead of the doctype, so even `head -1` shows it.
        lines.append(f"<!-- {escape(warning)} -->")
    header = _header(report)
    title = header[1] if warning else header[0]
    lines += [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
    ]
    if warning:
        lines.append(f'<p class="warning">{escape(warning)}</p>')
    lines.append(f"<h1>{escape(title)}</h1>")
    lines.append(f"<p>{escape(header[-1])}</p>")
    if isinstance(report, Report):
        charts = {
            "Messages by action": report.by_action,
            "Messages by rule": report.by_rule,
            "Messages by sender (keyed hash prefix)": report.by_sender,
            "Messages by recipient domain": report.by_domain,
        }
        for section_title, headers, rows in _sections(report):
            lines.append(f"<h2>{escape(section_title)}</h2>")
            if section_title in charts:
                lines.append(f"<figure>{bar_chart(section_title, charts[section_title])}</figure>")
            lines.append(_html_table(headers, rows))
        lines += [f"<p>note: {escape(n)}</p>" for n in report.key_notes]
    else:
        per_domain: dict[str, int] = {}
        for d in report.disclosures:
            for domain in d.domains:
                per_domain[domain] = per_domain.get(domain, 0) + 1
        counts = tuple(sorted(per_domain.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"<h2>{len(report.disclosures)} message(s)</h2>")
        lines.append(f"<figure>{bar_chart('Messages by recipient domain', counts)}</figure>")
        lines.append(
            _html_table(DISCLOSURE_HEADERS, [_disclosure_row(d) for d in report.disclosures])
        )
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


RENDERERS = {"table": render_table, "csv": render_csv, "html": render_html}
