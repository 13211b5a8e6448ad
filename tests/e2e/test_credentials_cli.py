"""``ledger credential …`` as users run it: keys, export (JSON + printable HTML), offline verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from tests.procs import concurrently


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ledger.cli`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args],
        text=True,
        capture_output=True,
        env={**os.environ, "LEDGER_LOG_LEVEL": "WARNING", "LEDGER_LANG": "en", **env},
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A demo store, keys, an active and a revoked credential, the status list, the trust bundle."""
    base = tmp_path_factory.mktemp("cred-cli")
    env = {
        "LEDGER_DB": str(base / "demo.db"),
        "LEDGER_KEY_DIR": str(base / "keys"),
        "LEDGER_STATUS_CACHE": str(base / "cache"),
    }
    assert cli("demo", "--learners", "40", "--candidates", "20", "--seed", "3", env=env).returncode == 0
    assert cli("keys", "generate", env=env).returncode == 0
    assert cli("credential", "keys", "generate", env=env).returncode == 0
    rows = json.loads(cli("certificate", "list", "--json", env=env).stdout)
    active = next(r["certificate_id"] for r in rows if r["status"] == "active" and r["kind"] == "CQ")
    revoked = next(r["certificate_id"] for r in rows if r["status"] == "revoked")
    paths = {name: base / f"{name}.json" for name in ("active", "revoked", "status", "trust")}
    paths["html"] = base / "active.html"
    paths["base"] = base
    done = cli(
        "credential", "export", active, "--out", str(paths["active"]), "--html", str(paths["html"]), env=env
    )
    assert done.returncode == 0, done.stderr
    assert cli("credential", "export", revoked, "--out", str(paths["revoked"]), env=env).returncode == 0
    assert (
        cli(
            "credential",
            "status-list",
            "--credential",
            str(paths["active"]),
            "--out",
            str(paths["status"]),
            env=env,
        ).returncode
        == 0
    )
    paths["revoked_status"] = base / "revoked_status.json"
    assert (
        cli(
            "credential",
            "status-list",
            "--credential",
            str(paths["revoked"]),
            "--out",
            str(paths["revoked_status"]),
            env=env,
        ).returncode
        == 0
    )
    paths["revoked_html"] = base / "revoked.html"
    assert (
        cli(
            "credential",
            "export",
            revoked,
            "--out",
            str(base / "revoked2.json"),
            "--html",
            str(paths["revoked_html"]),
            env=env,
        ).returncode
        == 0
    )
    assert cli("credential", "keys", "show", "--out", str(paths["trust"]), env=env).returncode == 0
    return paths


def offline(*args: str, base: Path) -> subprocess.CompletedProcess[str]:
    """Verify with no store and no local keys: only the files given."""
    return cli(
        "credential",
        "verify",
        *args,
        "--json",
        env={
            "LEDGER_KEY_DIR": str(base / "nowhere"),
            "LEDGER_STATUS_CACHE": str(base / "cache2"),
            "LEDGER_DB": str(base / "absent.db"),
        },
    )


def test_valid_credential_exits_0_with_every_check(exported: dict[str, Path]) -> None:
    """Both proofs, status list, inclusion proof and dates: valid, exit 0."""
    done = offline(
        str(exported["active"]),
        "--keys",
        str(exported["trust"]),
        "--status-list",
        str(exported["status"]),
        base=exported["base"],
    )
    verdict = json.loads(done.stdout)
    assert done.returncode == 0, verdict
    assert verdict["checks"] == {
        "issuer": "ok",
        "proofs": "ok",
        "dates": "ok",
        "recording": "ok",
        "status": "ok",
    }


def test_revoked_credential_exits_3(exported: dict[str, Path]) -> None:
    """The status list marks the revoked certificate: exit 3 with the reason."""
    done = offline(
        str(exported["revoked"]),
        "--keys",
        str(exported["trust"]),
        "--status-list",
        str(exported["revoked_status"]),
        base=exported["base"],
    )
    assert done.returncode == 3
    assert "revoked" in json.loads(done.stdout)["reasons"][0]


def test_status_not_checked_is_never_valid(exported: dict[str, Path]) -> None:
    """No status list at hand: not VALID and exit 6, for a revoked certificate too; --skip-status opts out."""
    for name in ("active", "revoked"):
        done = offline(str(exported[name]), "--keys", str(exported["trust"]), base=exported["base"])
        verdict = json.loads(done.stdout)
        assert done.returncode == 6, verdict
        assert verdict["verdict"] == "status_unknown" and verdict["checks"]["status"] == "not checked"
    human = cli(
        "credential",
        "verify",
        str(exported["revoked"]),
        "--keys",
        str(exported["trust"]),
        env={"LEDGER_STATUS_CACHE": str(exported["base"] / "cache3")},
    )
    assert human.returncode == 6 and "VALID" not in human.stdout.replace("NOT VERIFIED", "")
    skipped = offline(
        str(exported["active"]), "--keys", str(exported["trust"]), "--skip-status", base=exported["base"]
    )
    assert skipped.returncode == 0
    assert any("revocation status not checked" in w for w in json.loads(skipped.stdout)["warnings"])


def test_revoked_certificate_page_says_revoked_with_date_and_reason(exported: dict[str, Path]) -> None:
    """The printable page of a revoked certificate says so in French, with the date and the reason."""
    page = exported["revoked_html"].read_text(encoding="utf-8")
    assert "Certificat révoqué" in page and "Motif" in page
    assert "Certificat révoqué" not in exported["html"].read_text(encoding="utf-8")


def test_tampered_credential_exits_4(exported: dict[str, Path], tmp_path: Path) -> None:
    """One changed character in the achievement name: invalid, exit 4."""
    doc = json.loads(exported["active"].read_text(encoding="utf-8"))
    doc["credentialSubject"]["achievement"]["name"] += "."
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc), encoding="utf-8")
    done = offline(
        str(tampered),
        "--keys",
        str(exported["trust"]),
        "--status-list",
        str(exported["status"]),
        base=exported["base"],
    )
    assert done.returncode == 4
    assert any("bad signature" in r for r in json.loads(done.stdout)["reasons"])


def test_unknown_issuer_exits_5(exported: dict[str, Path], tmp_path: Path) -> None:
    """Verifying against another issuer's keys: unknown issuer, exit 5."""
    env = {"LEDGER_KEY_DIR": str(tmp_path / "other"), "LEDGER_DB": str(tmp_path / "x.db")}
    assert cli("credential", "keys", "generate", env=env).returncode == 0
    assert (
        cli(
            "credential", "keys", "show", "--no-log", "--out", str(tmp_path / "other.json"), env=env
        ).returncode
        == 0
    )
    done = offline(
        str(exported["active"]),
        "--keys",
        str(tmp_path / "other.json"),
        "--status-list",
        str(exported["status"]),
        base=exported["base"],
    )
    assert done.returncode == 5


def test_bad_input_exits_2_naming_the_problem(exported: dict[str, Path], tmp_path: Path) -> None:
    """A missing file, a non-JSON file, or a bad keys file: exit 2, a one-line message."""
    junk = tmp_path / "junk.json"
    junk.write_text("not json", encoding="utf-8")
    for args, needle in (
        ([str(tmp_path / "missing.json")], "cannot read credential"),
        ([str(junk)], "is not JSON"),
        ([str(exported["active"]), "--keys", str(junk)], "is not JSON"),
    ):
        done = offline(*args, base=exported["base"])
        assert done.returncode == 2, done
        assert needle in done.stderr and "Traceback" not in done.stderr


def test_export_of_unknown_certificate_exits_2(exported: dict[str, Path]) -> None:
    """An unknown or malformed certificate id is refused with exit 2 and nothing written."""
    env = {"LEDGER_DB": str(exported["base"] / "demo.db"), "LEDGER_KEY_DIR": str(exported["base"] / "keys")}
    out = exported["base"] / "never.json"
    idents = ("not-a-uuid", "00000000-0000-0000-0000-000000000000")
    for done in concurrently(
        partial(cli, "credential", "export", i, "--out", str(out), env=env) for i in idents
    ):
        assert done.returncode == 2 and "certificate" in done.stderr
    assert not out.exists()


def test_printable_page_has_a_qr_code_to_the_verification_page(exported: dict[str, Path]) -> None:
    """The HTML page carries an SVG QR code and the /verify?id= link, and no name in clear."""
    page = exported["html"].read_text(encoding="utf-8")
    doc = json.loads(exported["active"].read_text(encoding="utf-8"))
    certificate_id = doc["id"].removeprefix("urn:uuid:")
    assert "<svg" in page and f"/verify?id={certificate_id}" in page
    assert "Test" not in page


def test_keys_show_writes_every_issuer_did_document(exported: dict[str, Path], tmp_path: Path) -> None:
    """``keys show --did-dir`` writes the root's and each issuer's did:web document at its path."""
    env = {"LEDGER_DB": str(exported["base"] / "demo.db"), "LEDGER_KEY_DIR": str(exported["base"] / "keys")}
    done = cli("credential", "keys", "show", "--did-dir", str(tmp_path / "web"), "--json", env=env)
    assert done.returncode == 0, done.stderr
    credential = json.loads(exported["active"].read_text(encoding="utf-8"))
    issuer = credential["issuer"]["id"]
    path = tmp_path / "web" / "/".join(issuer.removeprefix("did:web:").split(":")[1:]) / "did.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["id"] == issuer
    assert credential["proof"][0]["verificationMethod"] in document["assertionMethod"]
    assert (tmp_path / "web" / ".well-known" / "did.json").is_file()


def test_a_server_on_its_own_url_checks_the_status_of_credentials_exported_by_the_cli(
    exported: dict[str, Path],
) -> None:
    """``make demo``'s set-up: the CLI exports with the default public URL, ``ledger serve`` runs
    with ``LEDGER_PUBLIC_URL=http://127.0.0.1:PORT``; ``POST /verify`` still checks the status."""
    import httpx

    from tests.interop.conftest import free_port, start_server, stop_server

    base = exported["base"]
    port = free_port()
    server = start_server(str(base / "demo.db"), base / "keys", port)
    try:
        verdicts = {
            name: httpx.post(
                f"http://127.0.0.1:{port}/verify",
                content=exported[name].read_bytes(),
                headers={"content-type": "application/json"},
                timeout=30,
            ).json()
            for name in ("active", "revoked")
        }
    finally:
        stop_server(server)
    assert verdicts["active"]["verdict"] == "valid", verdicts["active"]
    assert verdicts["active"]["checks"]["status"] == "ok"
    assert verdicts["revoked"]["verdict"] == "revoked", verdicts["revoked"]
