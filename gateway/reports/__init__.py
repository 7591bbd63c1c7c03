"""Compliance reports read from the tamper-evident audit log.

- `records`: a typed view of audit rows (`AuditRecord`) and a read-only query by time range.
- `build`: the pure layer, `build_report(records, since, until, extra) -> Report` and
  `build_disclosures(records, roster_id, since, until, extra) -> DisclosureReport`.
- `render`: `render_table`, `render_csv`, `render_html` (self-contained, inline SVG charts).
- `cli`: `phigate report ...`, which refuses to report on a chain that fails verification
  unless `--force`, and then says so on the first line of every format.

Nothing here writes to the audit log, and nothing shows identifiers in clear: senders are
keyed-hash prefixes, recipients are domains, key addresses are masked.
"""

from gateway.reports.build import (
    Disclosure,
    DisclosureReport,
    Integrity,
    Report,
    ReportExtras,
    build_disclosures,
    build_report,
)
from gateway.reports.records import AuditRecord, fetch_records
from gateway.reports.render import render_csv, render_html, render_table

__all__ = [
    "AuditRecord",
    "Disclosure",
    "DisclosureReport",
    "Integrity",
    "Report",
    "ReportExtras",
    "build_disclosures",
    "build_report",
    "fetch_records",
    "render_csv",
    "render_html",
    "render_table",
]
