"""Query verbs: ``learner``, ``candidate``, ``certificate``, ``events``, ``deadlines check``.

``learner show|find|erase|reindex``, ``candidate find|erase``, ``certificate list|show``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.common import (
    Db,
    Json,
    emit,
    optional_date,
    parse_date,
    parse_datetime,
    parse_uuid,
    print_mapping,
    read_date,
    resolve_learner,
    services,
    short_id,
    table,
    today,
)
from ledger.cli.help import add_examples
from ledger.domain.errors import InvalidCommand
from ledger.i18n import _, format_date, ngettext
from ledger.i18n.vocabulary import label
from ledger.plugins import Readers

if TYPE_CHECKING:
    from ledger.bootstrap import Services


def _log() -> Any:
    """The module's structured logger (structlog is imported on first use: start-up time)."""
    import structlog

    return structlog.get_logger("ledger.cli")


def _readers(ctx: typer.Context) -> Readers:
    state: Any = ctx.obj
    return state.readers if state is not None else Readers()


# ---------------------------------------------------------------------------- learner
def learner_view(
    svc: Services, readers: Readers, learner_id: Any, effective: date | None = None, recorded: Any = None
) -> dict[str, Any]:
    """The dossier for ``learner show``: as of a date, or current (read model or replay)."""
    from ledger.application.asof import as_of_effective, as_recorded_at
    from ledger.application.dossiers import learner_dossier

    if effective is not None:
        return as_of_effective(svc.store, learner_id, effective)
    if recorded is not None:
        return as_recorded_at(svc.store, learner_id, recorded)
    day = today()
    if readers.stored_dossier is not None:
        stored = readers.stored_dossier(svc, learner_id, day)
        if stored is not None:
            _log().info("learner.show", source="read_model")
            return stored
    _log().info("learner.show", source="replay")
    return learner_dossier(svc.store, learner_id, day)


def learner_show(
    ctx: typer.Context,
    ident: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="learner id: the first 8 characters are enough, or a national number"
        ),
    ],
    db: Db = None,
    as_json: Json = False,
    with_identity: Annotated[bool, typer.Option("--with-identity", help="include personal data")] = False,
    as_of_effective_: Annotated[
        str | None,
        typer.Option(
            "--as-of-effective", metavar="DATE", help="the dossier from decisions effective on or before DATE"
        ),
    ] = None,
    as_recorded_at_: Annotated[
        str | None,
        typer.Option(
            "--as-recorded-at",
            metavar="DATETIME",
            help="the dossier as recorded at DATETIME (later corrections listed)",
        ),
    ] = None,
) -> None:
    """A learner's dossier d'apprentissage."""
    if as_of_effective_ is not None and as_recorded_at_ is not None:
        raise typer.BadParameter("--as-of-effective and --as-recorded-at exclude each other")
    effective = optional_date(as_of_effective_)
    recorded = parse_datetime(as_recorded_at_) if as_recorded_at_ is not None else None
    svc = services(db)
    learner_id = resolve_learner(svc, ident)
    dossier = learner_view(svc, _readers(ctx), learner_id, effective, recorded)
    if with_identity:
        identity = svc.identities.get(learner_id)
        dossier["identity"] = identity.model_dump(mode="json") if identity else None
    emit(as_json, dossier, print_dossier)


def _search(
    words: list[str] | None, born: str | None, national_number: str | None, db: Any
) -> list[tuple[Any, Any, Any]]:
    """Who the keyed blind index finds, with their aggregate and identity (``find`` verbs)."""
    try:
        birth = read_date(born) if born else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--born") from None
    name = " ".join(words or [])
    if not name.strip() and birth is None and not national_number:
        raise typer.BadParameter(_("give a name, --born or --national-number"))
    svc = services(db)
    return [
        (found, svc.ledger.get(found), svc.identities.get(found))
        for found in svc.identities.find(name or None, birth, national_number)
    ]


def learner_find(
    words: Annotated[list[str] | None, typer.Argument(metavar="NAME", help="name words (any order)")] = None,
    db: Db = None,
    as_json: Json = False,
    born: Annotated[
        str | None, typer.Option("--born", metavar="DATE", help="birth date (DD/MM/YYYY or YYYY-MM-DD)")
    ] = None,
    national_number: Annotated[
        str | None, typer.Option("--national-number", metavar="NUMBER", help="national register number")
    ] = None,
) -> None:
    """Find learners by name, birth date or national number (a keyed blind index).

    Example: ledger learner find Dupont Léa --born 28/06/2005 --db ecole.db
    """
    from ledger.domain.clea.aggregates import Candidate

    rows = [
        {
            "learner_id": str(learner_id),
            "given_name": identity.given_name if identity else None,
            "family_name": identity.family_name if identity else None,
            "birth_date": identity.birth_date.isoformat() if identity else None,
            "fase": getattr(learner, "fase", None),
        }
        for learner_id, learner, identity in _search(words, born, national_number, db)
        if not isinstance(learner, Candidate)  # a CléA candidate: ledger candidate find
    ]
    emit(as_json, rows, print_found)


def print_found(rows: list[dict[str, Any]]) -> None:
    """Human rendering of ``learner find``: short id, name, birth date, school."""
    if not rows:
        print(_("No learner found."))
        return
    table(
        [
            {
                _("id"): short_id(r["learner_id"]),
                _("name"): f"{r['family_name']} {r['given_name']}",
                _("born on"): format_date(r["birth_date"]),
                _("school (FASE)"): r["fase"],
            }
            for r in rows
        ],
        [_("id"), _("name"), _("born on"), _("school (FASE)")],
    )
    print(ngettext("{count} learner found", "{count} learners found", len(rows)).format(count=len(rows)))


def candidate_find(
    words: Annotated[list[str] | None, typer.Argument(metavar="NAME", help="name words (any order)")] = None,
    db: Db = None,
    as_json: Json = False,
    born: Annotated[
        str | None, typer.Option("--born", metavar="DATE", help="birth date (DD/MM/YYYY or YYYY-MM-DD)")
    ] = None,
    national_number: Annotated[
        str | None, typer.Option("--national-number", metavar="NUMBER", help="national number (NIR)")
    ] = None,
) -> None:
    """Find CléA candidates by name, birth date or national number (the same keyed blind index).

    Example: ledger candidate find Martin Chloé --born 14/03/1990 --db clea.db
    """
    from ledger.domain.clea.aggregates import Candidate

    rows = [
        {
            "candidate_id": str(candidate_id),
            "given_name": identity.given_name,
            "family_name": identity.family_name,
            "birth_date": identity.birth_date.isoformat(),
            "certificate": getattr(candidate.certificate, "value", candidate.certificate),
            "evaluator_siret": candidate.evaluator_siret,
        }
        for candidate_id, candidate, identity in _search(words, born, national_number, db)
        if isinstance(candidate, Candidate) and identity is not None
    ]
    emit(as_json, rows, print_candidates_found)


_ERASING_ROLE = {"certifpro": "certifier", "evaluator_org": "evaluator"}


def _resolve_candidate(svc: Services, text: str) -> Any:
    """A candidate typed by a person: a full id, or a short unambiguous prefix of a findable one."""
    from uuid import UUID

    value = text.strip()
    try:
        return UUID(value)
    except ValueError:
        pass
    matches = svc.identities.with_prefix(value) if len(value) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InvalidCommand(
            _(
                "no candidate with an identity whose id starts with {value!r} (ledger candidate find "
                "NAME prints the ids; an erased candidate is named by its full id)"
            ).format(value=value)
        )
    raise InvalidCommand(
        _("{value!r} matches several candidates ({ids}…): type more characters").format(
            value=value, ids=", ".join(short_id(m) for m in matches)
        )
    )


def candidate_erase(
    ident: Annotated[str, typer.Argument(metavar="ID", help="candidate id (UUID or its first characters)")],
    reason: Annotated[str, typer.Option(help="the lawful reason (recorded)")],
    actor: Annotated[str, typer.Option(help="id of the person authorising the erasure")],
    db: Db = None,
    as_json: Json = False,
    body: Annotated[str, typer.Option(help="certifpro or evaluator_org")] = "certifpro",
    evaluator_siret: Annotated[
        str | None,
        typer.Option("--evaluator-siret", help="SIRET of the deciding evaluator organisation"),
    ] = None,
    role: Annotated[str | None, typer.Option(help="actor role (default: the body's)")] = None,
    on: Annotated[str | None, typer.Option("--date", help="effective date (default today)")] = None,
) -> None:
    """Erase a CléA candidate's personal data (an authorised decision; the decisions stay).

    Example: ledger candidate erase 3c9a --reason "RGPD" --actor cp-1 --db clea.db
    """
    from ledger.domain.clea.aggregates import Candidate

    if body not in _ERASING_ROLE:
        raise typer.BadParameter(_("--body must be certifpro or evaluator_org: {body}").format(body=body))
    if body == "evaluator_org" and not evaluator_siret:
        raise typer.BadParameter(_("an evaluator organisation names itself: give --evaluator-siret"))
    day = optional_date(on) or today()
    svc = services(db)
    candidate_id = _resolve_candidate(svc, ident)
    if not svc.ledger.exists(candidate_id) or not isinstance(svc.ledger.get(candidate_id), Candidate):
        raise InvalidCommand(_("{ident} is not a CléA candidate").format(ident=candidate_id))
    command: dict[str, Any] = {
        "command": "EraseCandidate",
        "candidate_id": str(candidate_id),
        "reason": reason,
        "actor_id": actor,
        "actor_role": role or _ERASING_ROLE[body],
        "body": body,
        "effective_date": day.isoformat(),
        "evaluator_siret": evaluator_siret,
    }
    outcome = svc.ledger.record(command)
    emit(
        as_json,
        outcome.to_dict(),
        lambda o: print(
            _("Personal data of candidate {short} erased; decision recorded at position {positions}").format(
                short=short_id(str(candidate_id)), positions=", ".join(str(p) for p in o["positions"])
            )
        ),
    )


def print_candidates_found(rows: list[dict[str, Any]]) -> None:
    """Human rendering of ``candidate find``: short id, name, birth date, certificate."""
    if not rows:
        print(_("No candidate found."))
        return
    table(
        [
            {
                _("id"): short_id(r["candidate_id"]),
                _("name"): f"{r['family_name']} {r['given_name']}",
                _("born on"): format_date(r["birth_date"]),
                _("certificate"): label(r["certificate"]),
                _("evaluator (SIRET)"): r["evaluator_siret"],
            }
            for r in rows
        ],
        [_("id"), _("name"), _("born on"), _("certificate"), _("evaluator (SIRET)")],
    )
    print(ngettext("{count} candidate found", "{count} candidates found", len(rows)).format(count=len(rows)))


def learner_reindex(db: Db = None, as_json: Json = False) -> None:
    """Rebuild the blind index of every recorded identity (those recorded before it existed).

    Example: ledger learner reindex --db ecole.db
    """
    from ledger.cli.common import progress

    identities = services(db).identities
    with progress(_("indexing identities"), identities.count()) as advance:
        done = identities.reindex(lambda _done, _total: advance(1))
    emit(
        as_json,
        {"reindexed": done},
        lambda o: print(
            ngettext(
                "{count} identity indexed: findable with ledger learner find",
                "{count} identities indexed: findable with ledger learner find",
                o["reindexed"],
            ).format(count=o["reindexed"])
        ),
    )


def learner_erase(
    ident: Annotated[str, typer.Argument(metavar="ID", help="learner id (UUID)")],
    reason: Annotated[str, typer.Option(help="the lawful reason (recorded)")],
    actor: Annotated[str, typer.Option(help="id of the person authorising the erasure")],
    db: Db = None,
    as_json: Json = False,
    role: Annotated[str, typer.Option(help="actor role (default administration)")] = "administration",
    body: Annotated[str, typer.Option(help="administration or direction")] = "administration",
    on: Annotated[str | None, typer.Option("--date", help="effective date (default today)")] = None,
) -> None:
    """Erase a learner's personal data (an authorised decision; the decisions stay)."""
    from ledger.domain.cpu.aggregates import Learner

    if body not in {"administration", "direction"}:
        raise typer.BadParameter(_("--body must be administration or direction: {body}").format(body=body))
    day = optional_date(on) or today()
    svc = services(db)
    ledger = svc.ledger
    learner_id = resolve_learner(svc, ident)
    learner = ledger.get(learner_id)
    if not isinstance(learner, Learner):
        raise InvalidCommand(
            _("{ident} is not a CPU learner: ledger learner erase applies to CPU learners only").format(
                ident=learner_id
            )
        )
    outcome = ledger.record(
        {
            "command": "EraseLearner",
            "learner_id": str(learner_id),
            "reason": reason,
            "actor_id": actor,
            "actor_role": role,
            "body": body,
            "effective_date": day.isoformat(),
            "fase": learner.fase,
        }
    )
    emit(
        as_json,
        outcome.to_dict(),
        lambda o: print(
            _("Personal data of learner {short} erased; decision recorded at position {positions}").format(
                short=short_id(str(learner_id)), positions=", ".join(str(p) for p in o["positions"])
            )
        ),
    )


def print_dossier(d: dict[str, Any]) -> None:
    """Human rendering of a dossier d'apprentissage (in the current language)."""
    if d.get("regime") == "clea":
        print_clea_dossier(d)
        return
    year = (
        f"{d['school_year']}-{d['school_year'] + 1}"
        if isinstance(d["school_year"], int)
        else d["school_year"]
    )
    print(
        _(
            "Learner {short} ({ident}) — CPU, {option} (form {form}), year {year} in {school_year}{c2d}"
        ).format(
            short=short_id(d["learner_id"]),
            ident=d["learner_id"],
            option=d["option"],
            form=d["form"],
            year=d["year"],
            school_year=year,
            c2d=" (C2D)" if d["c2d"] else "",
        )
    )
    print(
        _(
            "School: FASE {fase} {school} ({locality}); certification profile {profile} ({source}); "
            "admitted: {route}"
        ).format(
            fase=d["fase"],
            school=d["school"],
            locality=d["locality"],
            profile=d["profile_version"],
            source=label(d["profile_source"]),
            route=label(d["route"]),
        )
    )
    if d.get("identity"):
        i = d["identity"]
        print(
            _("Identity: {given} {family}, born on {born}").format(
                given=i["given_name"], family=i["family_name"], born=format_date(i["birth_date"])
            )
        )
    print()
    heads = [
        _("UAA"),
        _("title"),
        _("year"),
        _("status"),
        _("validated on"),
        _("how"),
        _("by"),
        _("attempts"),
        _("remediation"),
    ]
    table(
        [
            dict(
                zip(
                    heads,
                    [
                        u["uaa"],
                        u.get("title"),
                        u["year"],
                        label(u["status"]),
                        format_date((u["validated"] or {}).get("effective_date")),
                        label((u["validated"] or {}).get("via")),
                        label((u["validated"] or {}).get("body")),
                        len(u["attempts"]),
                        u.get("remediation"),
                    ],
                    strict=True,
                )
            )
            for u in d["units"]
        ],
        heads,
    )
    if d.get("uaa_titles_note"):
        print(_("UAA titles: {note}").format(note=label(d["uaa_titles_note"])))
    for a in d["attestations"]:
        print(
            _("{kind} for {year} ({date}, {body})").format(
                kind=label(a["kind"]),
                year=f"{a['school_year']}-{a['school_year'] + 1}",
                date=format_date(a["effective_date"]),
                body=label(a["body"]),
            )
        )
    for c in d["c2d_decisions"]:
        print(
            _("C2D decision: {outcome} ({date})").format(
                outcome=label(c["outcome"]), date=format_date(c["effective_date"])
            )
        )
    for f in d.get("flags", []):
        print(
            _("Flag: {rule} ({article}): {detail} [{date}]").format(
                rule=f["rule"],
                article=f["article"],
                detail=f["detail"],
                date=format_date(f["effective_date"]),
            )
        )
    for a in d.get("appeals", []):
        print(
            _("External appeal against {against} (v{version}), {date}: {outcome}").format(
                against=label(a["against"]),
                version=a["target_version"],
                date=format_date(a["lodged_on"]),
                outcome=label(a["outcome"]),
            )
        )
    for x in d["pending_deadlines"]:
        late = _(" — OVERDUE") if x["overdue"] else ""
        print(
            _("Deadline: {kind} due by {date}{late}").format(
                kind=label(x["kind"]), date=format_date(x["due_by"]), late=late
            )
        )
    for x in d["late"]:
        print(_("Late: {kind} (due by {date})").format(kind=label(x["type"]), date=format_date(x["due_by"])))
    for c in d["certificates"]:
        print(
            _("{kind} {short} [{status}] on {date}, basis: {basis}").format(
                kind=label(c["kind"]),
                short=short_id(c["certificate_id"]),
                status=label(c["status"]),
                date=format_date(c["effective_date"]),
                basis=label(c["basis"]),
            )
        )


def print_clea_dossier(d: dict[str, Any]) -> None:
    """Human rendering of a CléA candidate: domains, window, plan, jury, certificate."""
    org = d["organisation"]
    print(
        _(
            "candidate {candidate} — {certificate}, evaluator SIRET {siret} ({region}); "
            "referential {referential}"
        ).format(
            candidate=d["candidate_id"],
            certificate=label(d["certificate_type"]),
            siret=org["evaluator_siret"],
            region=label(org["region"]),
            referential=d["referential_version"],
        )
    )
    window = d.get("window")
    if window:
        state = _("EXPIRED") if window["expired"] else _("open")
        print(
            _("window: évaluation préalable {opened}, ends {ends} ({state})").format(
                opened=format_date(window["opened_on"]), ends=format_date(window["ends_on"]), state=state
            )
        )
    for state_label, key in ((_("acquired"), "acquired"), (_("missing"), "missing")):
        for dom in d["domains"][key]:
            print(f"  {state_label:<9} {dom['code']:<5} {dom['label']}")
    plan = d.get("plan")
    if plan:
        print(
            _("plan: {domains} ({hours} h), assigned {assigned}, completed {completed}").format(
                domains=", ".join(plan["domains"]),
                hours=plan["planned_hours"],
                assigned=format_date(plan["assigned_on"]),
                completed=format_date(plan["completed_on"]),
            )
        )
    jury = d.get("jury")
    if jury:
        sides = ", ".join(label(m["side"]) for m in jury["members"])
        awarded = _("certificate awarded") if jury["awarded"] else _("certificate not awarded")
        print(
            _("jury {body} on {day}: {awarded} ({sides})").format(
                body=label(jury["body"]), day=format_date(jury["decided_on"]), awarded=awarded, sides=sides
            )
        )
    cert = d.get("certificate")
    if cert:
        print(
            _("certificate {certificate} by {issuer} on {day}").format(
                certificate=cert["certificate_id"],
                issuer=label(cert["issuer"]),
                day=format_date(cert["issued_on"]),
            )
        )
    acc = d.get("accrochage")
    if acc:
        print(
            _("accrochage (SI CPF): {status}, due {due}").format(
                status=label(acc["status"]), due=format_date(acc["due_by"])
            )
        )
    for item in d.get("deadlines", []):
        print(_("deadline: {kind} {due}").format(kind=label(item["kind"]), due=format_date(item["due_by"])))


# ---------------------------------------------------------------------------- certificates
def certificate_list(
    ctx: typer.Context,
    db: Db = None,
    as_json: Json = False,
    kind: Annotated[str | None, typer.Option(help="CQ, CE6P, CLEA, …")] = None,
    status: Annotated[str | None, typer.Option(help="active or revoked")] = None,
) -> None:
    """Every certificate with its status."""
    from ledger.application.queries import certificates

    if status not in (None, "active", "revoked"):
        raise typer.BadParameter(f"--status must be active or revoked: {status!r}")
    store = services(db).store
    index = _readers(ctx).certificates_of(store)
    rows = [
        r.to_dict()
        for r in certificates(store, index)
        if (not kind or r.kind == kind) and (not status or r.status == status)
    ]
    emit(as_json, rows, print_certificates)


def print_certificates(rows: list[dict[str, Any]]) -> None:
    """Human rendering of the certificate list."""
    table(rows, ["certificate_id", "kind", "status", "issued_on", "basis", "learner_id", "position"])
    print(ngettext("{count} certificate", "{count} certificates", len(rows)).format(count=len(rows)))


def certificate_show(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="certificate id (UUID)")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """One certificate."""
    from ledger.application.queries import certificate

    store = services(db).store
    row = certificate(store, str(parse_uuid(ident, "certificate")), _readers(ctx).certificates_of(store))
    emit(as_json, row, print_mapping)


# ---------------------------------------------------------------------------- events
def show_events(
    db: Db = None,
    as_json: Json = False,
    learner: Annotated[str | None, typer.Option(help="only this learner's events")] = None,
    school: Annotated[int | None, typer.Option(help="only events of learners at this FASE")] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="event type contains this text (e.g. Validated)")
    ] = None,
    since: Annotated[str | None, typer.Option(help="effective on or after (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="effective on or before (YYYY-MM-DD)")] = None,
    start: Annotated[int, typer.Option(min=0, help="first position to read")] = 0,
    limit: Annotated[int | None, typer.Option(min=0, help="at most this many")] = None,
) -> None:
    """The log with zero-based global positions, filtered."""
    from ledger.application.queries import EventFilter, events

    flt = EventFilter(
        learner=parse_uuid(learner, "learner") if learner else None,
        fase=school,
        type_contains=type_,
        since=optional_date(since),
        until=optional_date(until),
    )
    store = services(db).store
    found = events(store, flt, limit=limit, start=start)
    if limit is not None:
        rows = list(found)
    else:  # a full dump: progress over the positions read
        rows = _with_progress(found, int(store.recorder.max_notification_id() or 0), start)
    emit(
        as_json,
        rows,
        lambda rs: table(
            rs, ["position", "type", "aggregate_id", "version", "effective_date", "body", "legal_basis"]
        ),
    )


def _with_progress(rows: Iterable[dict[str, Any]], head: int, start: int) -> list[dict[str, Any]]:
    """Every row, with progress over the log positions read (``start`` to ``head``)."""
    out: list[dict[str, Any]] = []
    from ledger.cli.common import progress

    with progress(_("reading the log"), max(head - start, 0)) as advance:
        reached = start
        for row in rows:
            position = int(row.get("position") or 0)
            advance(max(position + 1 - reached, 0))
            reached = max(position + 1, reached)
            out.append(row)
        advance(max(head - reached, 0))
    return out


# ---------------------------------------------------------------------------- deadlines
def deadlines_check(
    db: Db = None,
    as_json: Json = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="date to check (default today)")] = None,
    record: Annotated[
        bool, typer.Option("--record", help="record each as a DeadlineMissed event (once per deadline)")
    ] = False,
) -> None:
    """List overdue PSSA, C2D decisions and competence reports."""
    from ledger.application.deadlines import check_deadlines

    day = parse_date(as_of) if as_of is not None else today()
    rows = check_deadlines(services(db).ledger, day, record)
    emit(as_json, rows, lambda rs: table(rs, ["learner_id", "fase", "kind", "due_by", "recorded"]))


def register(app: typer.Typer) -> typer.Typer:
    """Add ``learner``, ``certificate``, ``events`` and ``deadlines``; returns ``certificate``."""
    add_examples(
        {
            "events": "ledger events --learner 6f1c --since 01/09/2019 --db ecole.db",
            "learner show": "ledger learner show 6f1c --with-identity --db ecole.db",
            "learner find": "ledger learner find Dupont Léa --born 28/06/2005 --db ecole.db",
            "candidate find": "ledger candidate find Martin Chloé --born 14/03/1990 --db clea.db",
            "candidate erase": 'ledger candidate erase 3c9a --reason "RGPD" --actor cp-1 --db clea.db',
            "learner reindex": "ledger learner reindex --db ecole.db",
            "learner erase": 'ledger learner erase 6f1c --reason "demande de l\'élève" --db ecole.db',
            "certificate list": "ledger certificate list --status active --db ecole.db",
            "certificate show": "ledger certificate show 9b2e --db ecole.db",
            "deadlines check": "ledger deadlines check --as-of 30/06/2020 --db ecole.db",
        }
    )
    learner = typer.Typer(help="learner queries", no_args_is_help=True)
    learner.command("show", help="a learner's dossier d'apprentissage")(learner_show)
    learner.command("find", help="find learners by name, birth date or national number")(learner_find)
    learner.command("erase", help="erase a learner's personal data (decisions stay)")(learner_erase)
    learner.command("reindex", help="rebuild the name / birth date / national number index")(learner_reindex)
    app.add_typer(learner, name="learner")
    candidate = typer.Typer(help="CléA candidate queries", no_args_is_help=True)
    candidate.command("find", help="find CléA candidates by name, birth date or national number")(
        candidate_find
    )
    candidate.command("erase", help="erase a CléA candidate's personal data (decisions stay)")(
        candidate_erase
    )
    app.add_typer(candidate, name="candidate")
    cert = typer.Typer(help="certificate queries", no_args_is_help=True)
    cert.command("list", help="every certificate with its status")(certificate_list)
    cert.command("show", help="one certificate")(certificate_show)
    app.add_typer(cert, name="certificate")
    app.command("events", help="the log with zero-based global positions")(show_events)
    deadlines = typer.Typer(help="legal deadlines passed without their decision", no_args_is_help=True)
    deadlines.command("check", help="list overdue PSSA, C2D decisions and competence reports")(
        deadlines_check
    )
    app.add_typer(deadlines, name="deadlines")
    return cert
