"""The layout's rules: import-linter contracts, no import cycle, the environment read once,
the committed Kafka schemas unchanged."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "projections", "consumers")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def test_import_linter_contracts_hold() -> None:
    """Layers, readers as plug-ins, a pure domain (pyproject.toml contracts)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_import_cycle_function_level_imports_included() -> None:
    """Every import statement, at any depth, counts; the module graph has no cycle."""
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                if target in modules and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if seen.get(nxt) == 1:
                raise AssertionError(f"import cycle: {' -> '.join([*stack[stack.index(nxt) :], nxt])}")
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for module in sorted(modules):
        if module not in seen:
            visit(module)


def test_only_the_settings_module_reads_the_environment() -> None:
    """No ``os.environ``/``os.getenv``/``environ`` outside ledger/settings.py."""
    offenders = []
    for name, path in _modules().items():
        if name == "ledger.settings":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
                offenders.append(f"{name}:{node.lineno}")
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(a.name in {"environ", "getenv"} for a in node.names)
            ):
                offenders.append(f"{name}:{node.lineno}")
    assert offenders == []


def test_committed_kafka_schemas_are_unchanged() -> None:
    """consumers/schemas/ as before the redesign (f65c9ad) but for the deliberate ``$id`` release.

    Issue 20 released the URL form of ``$id`` (``https://ledger.example/schemas/<type>.json``,
    an identity change the contract gate accepts both ways); anything else changed in a
    committed schema since f65c9ad fails here; new event types add new schema files only.
    """
    from consumers.contract import SCHEMA_BASE, SCHEMA_DIR, Contract, schema_text

    done = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=MDRT", "f65c9ad", "--", "consumers/schemas"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:  # not a git checkout with that history: compare to the contract
        for name, schema in Contract().schemas().items():
            assert (SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8") == schema_text(schema)
        return
    for path in done.stdout.split():
        old = subprocess.run(
            ["git", "show", f"f65c9ad:{path}"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        before, after = json.loads(old), json.loads((ROOT / path).read_bytes())
        assert after.pop("$id") == SCHEMA_BASE + Path(path).name, path
        before.pop("$id")
        assert after == before, f"{path}: more than $id changed"
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "consumers/schemas").iterdir())
