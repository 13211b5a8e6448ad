"""CSV for the statistics: French Excel by default, RFC 4180 on request.

``excel-fr`` (default) is what a school secretary double-clicks: UTF-8 with a byte-order mark
(Excel then reads the accents), ``;`` between fields, decimal commas (``0,8125``), booleans as
``oui``/``non`` in the reader's language. ``rfc4180`` is for programs: ``,`` between fields,
CRLF line ends, decimal points, ``true``/``false``, no BOM. Column names stay the
language-neutral keys of the JSON output in both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, BinaryIO, Literal

from ledger.i18n import _

CsvFormat = Literal["excel-fr", "rfc4180"]
FORMATS: tuple[CsvFormat, ...] = ("excel-fr", "rfc4180")


def _cell(value: Any, fmt: CsvFormat) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        if fmt == "rfc4180":
            return "true" if value else "false"
        return _("yes") if value else _("no")
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if fmt == "excel-fr" else text
    return str(value)


def csv_text(rows: Sequence[dict[str, Any]], fmt: CsvFormat = "excel-fr") -> str:
    """The rows as CSV text (without the BOM); the columns are the first row's keys."""
    columns = list(rows[0]) if rows else ["empty"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";" if fmt == "excel-fr" else ",", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c), fmt) for c in columns])
    return buffer.getvalue()


def write_csv(rows: Sequence[dict[str, Any]], out: BinaryIO, fmt: CsvFormat = "excel-fr") -> None:
    """Write the rows to a binary stream as UTF-8 (with a BOM for ``excel-fr``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown CSV format {fmt!r}: expected one of {', '.join(FORMATS)}")
    data = csv_text(rows, fmt).encode("utf-8")
    out.write((b"\xef\xbb\xbf" + data) if fmt == "excel-fr" else data)
    out.flush()
