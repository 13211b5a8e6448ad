"""A store written by the previous release opens with this one and reads back the same (item 9).

The store is written by the previous release's own code (:mod:`tests.fixtures.previous_release`:
``git archive`` of the commit before the migrations runner), on a SQLite file and on a
PostgreSQL schema. Oracles: what that release read back from its own store (identities, status
indices, status-list bits, certificate list) and its token, against what this release reads
after its migrations ran — the installed ``ledger`` console script for the certificate list and
the signed status list, the composition root for identities.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.api.tokens import KeyRing, key_dir
from ledger.application.identity import Identity
from ledger.bootstrap import bootstrap
from ledger.credentials.statuslist import BitstringStatusList
from ledger.settings import Settings
from tests.fixtures.previous_release import build

LEDGER = Path(sys.executable).with_name("ledger")


@pytest.fixture
def previous(store_location: str, tmp_path: Path) -> dict[str, Any]:
    """A previous-release store at ``store_location`` (SQLite file or PostgreSQL schema)."""
    return build(tmp_path, store_location)


def _current(*args: str, keys: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")} | {"LEDGER_KEY_DIR": keys}
    done = subprocess.run(
        [str(LEDGER), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_previous_release_store_reads_back_the_same(previous: dict[str, Any]) -> None:
    """Learners, identities, certificates, status bits and tokens survive the upgrade."""
    db, keys = previous["db"], previous["key_dir"]
    assert stat.S_IMODE(os.stat(Path(keys) / "identity").st_mode) != 0o700  # as the release left it
    services = bootstrap(Settings.load(db=db, key_dir=Path(keys)))  # runs this release's migrations
    try:
        for learner in previous["learners"]:
            assert services.ledger.exists(UUID(learner))
            sent = previous["identities"][learner]
            assert sent is not None
            assert services.identities.get(UUID(learner)) == Identity.model_validate(sent)
            # the transfer check matches identities written before the keyed hash existed
            assert services.identities.national_number_matches(UUID(learner), sent["national_number"])
            assert not services.identities.national_number_matches(UUID(learner), "00000000000")
        conn = services.target.connect()
        try:
            rows = conn.execute("SELECT certificate_id, status_index FROM credential_status").fetchall()
        finally:
            conn.close()
        assert {str(c): int(i) for c, i in rows} == previous["status_index"]
    finally:
        services.close()
    assert _current("certificate", "list", "--db", db, "--json", keys=keys) == previous["certificates"]
    status = _current("credential", "status-list", "--db", db, keys=keys)
    bits = BitstringStatusList.decode(status["credentialSubject"]["encodedList"])
    assert sorted(i for i in range(bits.size) if bits.get(i)) == previous["status_bits"]
    assert previous["status_bits"] == [previous["status_index"][previous["revoked"]]]
    principal = KeyRing(key_dir(keys)).verify(previous["token"])
    assert (principal.role, principal.subject) == ("jury", "jury-1")
    for folder in ("identity", "tokens", "credentials"):
        mode = stat.S_IMODE(os.stat(Path(keys) / folder).st_mode)
        assert mode == 0o700, f"{folder} is {oct(mode)}"
