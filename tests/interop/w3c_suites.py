"""Runs the official W3C VC test suites (``../shared/conformance``) against a ``ledger serve``.

As ``../shared/conformance/README.md`` says: each suite and the two helper packages are copied
to a temporary folder (shared/ is read-only; nothing is copied into the project), the helpers
are packed into tarballs the suite's ``package.json`` points at, the suite's npm dependencies
are installed from the npm registry, a ``localConfig.cjs`` names the ledger's endpoints, and
mocha runs the suite with its JSON reporter. Returns every test with its state. The suites'
dependencies are pinned by the lockfiles in ``conformance-locks/`` (``npm ci``; regenerate
with ``npm install`` in a prepared copy when ``../shared/conformance`` moves).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

W3C = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "w3c"
LOCKS = Path(__file__).with_name("conformance-locks")
"""The suites' dependency trees, pinned: one committed package-lock.json per suite (``npm ci``)."""
HELPERS = {
    "vc-test-suite-implementations": "vc-test-suite-implementations",
    "data-integrity-test-suite-assertion": "data-integrity-test-suite-assertion",
}


IMPLEMENTATION = "Certification ledger"


@dataclass(frozen=True)
class Outcome:
    """One mocha test of a suite."""

    title: str
    state: str  # passed | failed | pending
    error: str = ""


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0 and args[0] == "npm":
        raise RuntimeError(f"{' '.join(args)} failed in {cwd}: {done.stderr[-2000:]}")
    return done.stdout


def _pack_helpers(work: Path) -> dict[str, str]:
    """``npm pack`` each helper into ``work/pkgs``; name → ``file:`` tarball spec."""
    pkgs = work / "pkgs"
    pkgs.mkdir(exist_ok=True)
    specs = {}
    for name, folder in HELPERS.items():
        copy = work / "helpers" / folder
        shutil.copytree(W3C / folder, copy, ignore=shutil.ignore_patterns("node_modules", ".git"))
        packed = _run(["npm", "pack", "--silent", "--pack-destination", str(pkgs)], copy)
        tarball = packed.strip().splitlines()[-1]
        specs[name] = f"file:../pkgs/{tarball}"
    return specs


def prepare(suite: str, work: Path, specs: dict[str, str] | None = None) -> Path:
    """Copy ``suite`` into ``work`` with its helpers as tarballs, and install its dependencies."""
    specs = specs or _pack_helpers(work)
    folder = work / suite
    shutil.copytree(W3C / suite, folder, ignore=shutil.ignore_patterns("node_modules", ".git", "reports"))
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    for section in ("dependencies", "devDependencies"):
        for name in list(manifest.get(section, {})):
            if name in specs:
                manifest[section][name] = specs[name]
    (folder / "package.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    shutil.copyfile(LOCKS / f"{suite}.package-lock.json", folder / "package-lock.json")
    _run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], folder)
    return folder


def run_suite(folder: Path, config: str) -> list[Outcome]:
    """Write ``localConfig.cjs`` and run mocha; every test with its state."""
    (folder / "localConfig.cjs").write_text(config, encoding="utf-8")
    out = _run(
        ["npx", "mocha", "tests/", "--timeout", "15000", "--preserve-symlinks", "--reporter", "json"],
        folder,
        env={"NODE_TLS_REJECT_UNAUTHORIZED": "0", "ISSUER_NAME_JCS": IMPLEMENTATION},
    )
    report: dict[str, Any] = json.loads(out[out.index("{") :])
    failed = {t["fullTitle"]: str(t.get("err", {}).get("message", ""))[:300] for t in report["failures"]}
    outcomes = [Outcome(t["fullTitle"], "passed") for t in report["passes"]]
    outcomes += [Outcome(title, "failed", error) for title, error in failed.items()]
    outcomes += [Outcome(t["fullTitle"], "pending") for t in report["pending"]]
    return outcomes


def local_config(base: str, issuer: str, suite: str) -> str:
    """The ``localConfig.cjs`` of ``suite`` naming the ledger's VC API endpoints."""
    tags = {
        "vc-di-eddsa-test-suite": ["eddsa-rdfc-2022", "localhost"],
        "vc-data-model-2.0-test-suite": ["vc2.0"],
        "vc-bitstring-status-list-test-suite": ["BitstringStatusList", "Revocation"],
    }[suite]
    issuers: list[dict[str, Any]] = [
        {"id": issuer, "endpoint": f"{base}/credentials/issue", "tags": tags, "supports": {"vc": ["2.0"]}}
    ]
    if suite == "vc-bitstring-status-list-test-suite":  # VC API: options.credentialStatus asks for an entry
        issuers[0]["options"] = {
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
        }
    if suite == "vc-di-eddsa-test-suite":
        issuers.append(
            {
                "id": issuer,
                "endpoint": f"{base}/credentials/issue",
                "tags": ["eddsa-jcs-2022"],
                "supports": {"vc": ["2.0"]},
                "options": {"cryptosuite": "eddsa-jcs-2022"},
            }
        )
    implementation = {
        "name": IMPLEMENTATION,
        "implementation": "ledger serve",
        "issuers": issuers,
        "verifiers": [{"id": issuer, "endpoint": f"{base}/credentials/verify", "tags": tags}],
        "vpVerifiers": [{"id": issuer, "endpoint": f"{base}/presentations/verify", "tags": tags}],
    }
    return (
        "module.exports = "
        + json.dumps({"settings": {}, "implementations": [implementation]}, indent=2)
        + ";\n"
    )
