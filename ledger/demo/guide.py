"""The one screen ``ledger demo`` ends with: what was created, what to type next, where to click.

Written for a school secretary or a director discovering the ledger (French by default): the
counts in the law's words, every next command complete with its ``--db`` (copy, paste, run),
what each one shows, and the pages to open once ``ledger serve`` runs. The API tokens are
never printed: they are in a file only its owner can read (:func:`write_private`).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from ledger.i18n import _, format_number
from ledger.i18n.vocabulary import label


def write_private(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path``, readable and writable by its owner only (0600).

    An existing file is replaced; the mode is set before anything is written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return path


def _counts(mapping: dict[str, int]) -> str:
    """``AOA: 12, AOB: 3`` in the law's words (``attestation d'orientation A : 12``)."""
    return ", ".join(f"{label(k)} : {format_number(v)}" for k, v in sorted(mapping.items())) or "—"


def _certificates(certs: dict[str, int]) -> str:
    """``CQ valid: 40`` → ``certificat de qualification (CQ), valide : 40``."""
    parts = []
    for key, count in sorted(certs.items()):
        kind, _sep, status = key.partition(" ")
        parts.append(f"{label(kind)}, {label(status)} : {format_number(count)}")
    return "; ".join(parts) or "—"


def demo_guide(
    summary: dict[str, Any],
    db: str,
    url: str = "http://127.0.0.1:8080",
    tokens_file: str | None = None,
    sample: str | None = None,
    sample_name: str | None = None,
) -> str:
    """The screen, as text: ``summary`` from :func:`ledger.demo.run.demo_summary`.

    ``sample`` is a learner's short id and ``sample_name`` a word of their family name (both
    optional); ``tokens_file`` where :func:`write_private` put the API tokens, if it did.
    """
    d = shlex.quote(db)
    lines = [
        _("Demo ready: the ledger {db}").format(db=db),
        "",
        _("Created"),
        "  "
        + _("{commands} decisions recorded ({events} events, {aggregates} files) in {seconds} s").format(
            commands=format_number(summary["commands"]),
            events=format_number(summary["events"]),
            aggregates=format_number(summary["aggregates"]),
            seconds=format_number(summary["seconds"]),
        ),
        "  " + _("end-of-4th-year attestations: {counts}").format(counts=_counts(summary["attestations"])),
        "  " + _("certificates: {counts}").format(counts=_certificates(summary["certificates"])),
        "",
        _("Next (copy a line, run it)"),
    ]
    steps: list[tuple[str, str]] = []
    if sample_name:
        steps.append(
            (
                f"ledger learner find {shlex.quote(sample_name)} --db {d}",
                _("finds learners by name (prints their short ids)"),
            )
        )
    who = sample or "ID"
    steps += [
        (
            f"ledger learner show {who} --db {d}",
            _("a learner's dossier d'apprentissage: UAA, attestations, deadlines"),
        ),
        (f"ledger certificate list --db {d}", _("the certificates and their status")),
        (f"ledger events --db {d} --limit 20", _("the log of decisions, oldest first")),
        (f"ledger projections run --once --db {d}", _("brings the school and CléA statistics up to date")),
        (
            f"ledger audit checkpoint --db {d}",
            _("seals the log (signed checkpoint) so that nobody can rewrite it"),
        ),
        (f"ledger serve --db {d}", _("starts the web server for the pages below (Ctrl-C stops it)")),
    ]
    for command, what in steps:
        lines += [f"  {command}", f"      → {what}"]
    lines += [
        "",
        _("Where to click (once ledger serve runs)"),
        "  " + _("{url}/docs — the API, to try each request").format(url=url),
        "  "
        + _("{url}/verify — the certificate verification page for learners and employers").format(url=url),
    ]
    if tokens_file:
        lines.append(
            "  "
            + _("API tokens, one per role: in {file} (readable by you only; never share them)").format(
                file=tokens_file
            )
        )
    lines += ["", _("Help on any command: ledger COMMAND --help (ledger --help lists them).")]
    return "\n".join(lines)
