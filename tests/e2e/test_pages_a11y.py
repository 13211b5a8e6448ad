"""Every page a person reads, in a real Chromium at 1280 and 390 px, checked by axe-core.

The school and CléA statistics reports (``ledger stats … --html``), the printable credential
pages (``ledger credential export --html``, active and revoked) and the employer's verification
page (``/verify`` served by ``ledger serve``): no horizontal overflow
(``document.documentElement.scrollWidth <= innerWidth``), a full-page screenshot under
``artifacts/pages/``, French declared as the page language, and zero serious or critical
axe-core violations (WCAG 2.x A/AA and best practices; axe-core and playwright-core pinned in
``deploy/node``'s lockfile, Chromium from ``deploy/chromium/ensure.sh``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_credentials_browser import chromium, scenario
from tests.e2e.test_credentials_cli import cli, exported
from tests.interop.conftest import node_stack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "pages"
DRIVER = Path(__file__).with_name("pages_a11y.mjs")
__all__ = ["exported", "node_stack", "scenario"]  # the fixtures this module reuses (their stores and server)


@pytest.fixture(scope="module")
def pages(exported: dict[str, Path], scenario: dict[str, Any]) -> list[dict[str, str]]:
    """The pages to open: both reports written by the console script, both credential pages, /verify."""
    base = exported["base"]
    env = {"LEDGER_DB": str(base / "demo.db"), "LEDGER_KEY_DIR": str(base / "keys"), "LEDGER_LANG": "fr"}
    cert = json.loads(cli("certificate", "list", "--json", env=env).stdout)[0]
    fase = json.loads(cli("learner", "show", cert["learner_id"], "--json", env=env).stdout)["fase"]
    school, clea = base / "ecole.html", base / "clea.html"
    for args in (
        ("stats", "school", str(fase), "--html", str(school)),
        ("stats", "clea", "--html", str(clea)),
    ):
        done = cli(*args, env=env)
        assert done.returncode == 0, done.stderr
    return [
        {"name": "rapport-ecole", "url": school.as_uri()},
        {"name": "rapport-clea", "url": clea.as_uri()},
        {"name": "certificat", "url": exported["html"].as_uri()},
        {"name": "certificat-revoque", "url": exported["revoked_html"].as_uri()},
        {
            "name": "verification",
            "url": f"{scenario['url']}/verify?id={scenario['valid']['number']}",
            "ready": '#local-verdict[data-verdict="valid"]',
        },
    ]


def open_pages(node_stack: Path, pages: list[dict[str, str]], width: int) -> dict[str, Any]:
    """What Chromium and axe-core found on each page at ``width``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    request = {
        "nodeDir": str(node_stack),
        "chromium": chromium(),
        "width": width,
        "shots": str(ARTIFACTS),
        "pages": pages,
    }
    done = subprocess.run(
        ["node", str(DRIVER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_the_window_and_pass_axe(node_stack: Path, pages: list[dict[str, str]], width: int) -> None:
    """No sideways scrolling, French declared, no script error, no serious/critical violation."""
    seen = open_pages(node_stack, pages, width)
    assert set(seen) == {p["name"] for p in pages}
    for name, page in seen.items():
        assert page["scrollWidth"] <= page["innerWidth"], (name, width, page["scrollWidth"])
        assert page["lang"] == "fr" and page["title"], (name, page["lang"], page["title"])
        assert not page["errors"], (name, page["errors"])
        assert page["passes"] > 10, (name, "axe-core checked nothing")  # the checker really ran
        grave = [v for v in page["violations"] if v["impact"] in ("serious", "critical")]
        assert not grave, (name, width, grave)
    assert (ARTIFACTS / f"rapport-ecole-{width}.png").stat().st_size > 0


def test_the_checker_finds_what_it_should(node_stack: Path, tmp_path: Path) -> None:
    """The oracle itself: a page with an unlabelled input and grey-on-white text fails axe-core,
    and a page wider than a phone overflows (so the assertions above can fail)."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="fr"><head><title>x</title></head><body><main>'
        '<p style="color:#bbb">pâle</p><input type="text"><div style="width:800px">large</div>'
        "</main></body></html>",
        encoding="utf-8",
    )
    seen = open_pages(node_stack, [{"name": "contre-exemple", "url": bad.as_uri()}], 390)["contre-exemple"]
    found = {v["id"] for v in seen["violations"] if v["impact"] in ("serious", "critical")}
    assert {"label", "color-contrast"} <= found, seen["violations"]
    assert seen["scrollWidth"] > seen["innerWidth"]
