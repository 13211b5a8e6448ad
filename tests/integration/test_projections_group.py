"""Read models fed together (one read, one transaction per batch) on both backends: each keeps
its own position, a revocation in a later batch rewrites the facts it voids, and a read model
whose stored schema is out of date is rebuilt from zero when it is opened."""

from __future__ import annotations

from ledger.adapters.store import StoreTarget
from ledger.application import Ledger
from projections.registry import catch_up, close, followers, rebuild
from projections.registry import export as export_all
from tests.builders import admit, finish_fourth, on, open_option, pass_unit, run


def test_read_models_at_different_positions_each_get_every_event_once(
    ledger: Ledger, store_location: str
) -> None:
    """History caught up alone, dossier half-way, stats not at all: fed together they all end at
    the head with exactly the rows of a rebuild from zero."""
    target = StoreTarget.parse(store_location)
    open_option(ledger)
    learners = [admit(ledger) for _ in range(3)]
    for learner in learners:
        finish_fourth(ledger, learner)
    fols = {f.handler.name: f for f in followers(ledger.store, target, batch_size=5)}
    fols["projection:history"].catch_up()
    fols["projection:dossier"].catch_up(until=5)
    head = int(ledger.store.recorder.max_notification_id() or 0)
    named = ("projection:dossier", "projection:stats", "projection:history", "projection:law")
    assert [fols[n].position() for n in named] == [5, 0, head, 0]
    together = list(fols.values())
    catch_up(together)
    assert [f.position() for f in together] == [head] * len(together)
    incremental = export_all(together)
    positions = [int(p) for (*_, joined) in incremental["rm_history_stream"] for p in str(joined).split(",")]
    assert sorted(positions) == list(range(1, head))  # every learner event, once
    rebuild(together)
    assert export_all(together) == incremental
    close(together)


def test_revocation_in_a_later_batch_rewrites_the_voided_facts(ledger: Ledger, store_location: str) -> None:
    """A validation counted in one batch stops counting when a later batch revokes it; the
    facts then equal a rebuild from zero."""
    target = StoreTarget.parse(store_location)
    open_option(ledger)
    learner = admit(ledger)
    pass_unit(ledger, learner, "UAA1", "2019-11-10")
    pass_unit(ledger, learner, "UAA2", "2020-03-10")
    fols = followers(ledger.store, target, "stats", batch_size=3)
    catch_up(fols)
    db = fols[0].db
    query = (
        "SELECT v.uaa FROM rm_cpu_validation v JOIN rm_cpu_learner l "
        "ON l.learner_key = v.learner_key WHERE l.learner_id = ? ORDER BY v.uaa"
    )
    assert [r[0] for r in db.execute(query, (str(learner),)).fetchall()] == ["UAA1", "UAA2"]
    # the learner's versions: 1 admitted; UAA1 authorised 2, attempted 3, validated 4
    run(
        ledger,
        on(
            learner,
            "RevokeDecision",
            "jury_delegate",
            "2019-11-20",
            target_version=4,
            reason="Encodé sur le mauvais dossier",
        ),
    )
    catch_up(fols)
    assert [r[0] for r in db.execute(query, (str(learner),)).fetchall()] == ["UAA2"]
    incremental = export_all(fols)
    rebuild(fols)
    assert export_all(fols) == incremental
    close(fols)


def test_out_of_date_read_model_is_rebuilt_from_zero_when_opened(ledger: Ledger, store_location: str) -> None:
    """A dossier read model stored by an older version (another schema) is dropped and its
    position reset when opened; catching up then builds it whole."""
    target = StoreTarget.parse(store_location)
    open_option(ledger)
    learner = admit(ledger)
    [fol] = followers(ledger.store, target, "dossier")
    fol.catch_up()
    with fol.db.transaction() as db:
        db.execute("DROP TABLE rm_dossier")
        db.execute("CREATE TABLE rm_dossier (learner_id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
        db.execute("UPDATE rm_schema SET version = 1 WHERE name = 'dossier'")
    fol.close()
    [fol] = followers(ledger.store, target, "dossier")
    assert fol.position() == 0
    fol.catch_up()
    row = fol.db.execute("SELECT version FROM rm_dossier WHERE learner_id = ?", (str(learner),)).fetchone()
    assert row is not None and int(row[0]) == 1
    fol.close()
