"""The wheel as users install it: the product's packages, no tests, no benchmark module."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_no_test_or_benchmark_module(tmp_path: Path) -> None:
    """Build the wheel from the checkout (the venv's own setuptools) and list it."""
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"ledger", "projections", "consumers"}, top
    assert not [n for n in names if "bench" in Path(n).name], [n for n in names if "bench" in n]
    assert "ledger/cli/__init__.py" in names and "consumers/schemas" in " ".join(names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    declared = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[ledger.cli]" in declared and "[ledger.api]" in declared
