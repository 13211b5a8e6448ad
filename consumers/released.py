"""Released schemas: every version of every committed schema, read from git history.

The compatibility gate compares a new schema with what consumers may hold: every version of
``consumers/schemas/<type>.json`` ever committed on the release line (``HEAD`` by default, or
a tag or branch), read with git itself (``git rev-list`` + ``git ls-tree`` + ``git cat-file
--batch``), never the working file: deleting or editing the file first changes nothing.
A directory of schema files (a copy of a release, or what a running ledger serves under
``/schemas/``) is the other source, for installs without a git checkout.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consumers.errors import ReleasedSchemasUnavailable


@dataclass(frozen=True)
class ReleasedSchema:
    """One released version of a type's schema, and where it was found."""

    type: str
    source: str
    schema: dict[str, Any]


Released = dict[str, list[ReleasedSchema]]
"""Released versions by type, oldest first, each distinct content once."""


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise ReleasedSchemasUnavailable(
            "git is not installed: give a directory of released schemas instead"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ReleasedSchemasUnavailable(
            f"git {args[0]} failed: {message[-1] if message else done.returncode}"
        )
    return done.stdout


def from_git(directory: Path, ref: str = "HEAD") -> Released:
    """Every committed version of the ``*.json`` files of ``directory`` reachable from ``ref``."""
    if ref.startswith("-"):
        raise ReleasedSchemasUnavailable(f"invalid revision {ref!r}")
    if not directory.is_dir():
        raise ReleasedSchemasUnavailable(f"{directory} is not a directory of a git checkout")
    top = Path(_git(directory, "rev-parse", "--show-toplevel").decode().strip())
    rel = directory.resolve().relative_to(top.resolve()).as_posix()
    commits = _git(top, "rev-list", "--reverse", ref, "--", rel).decode().split()
    blobs: dict[str, tuple[str, str]] = {}  # blob id -> (type, first commit holding it)
    for commit in commits:
        listing = _git(top, "ls-tree", "-r", "--full-tree", commit, "--", rel).decode()
        for line in listing.splitlines():
            meta, _, path = line.partition("\t")
            _, kind, blob = meta.split()
            name = path.rsplit("/", 1)[-1]
            if kind == "blob" and name.endswith(".json") and blob not in blobs:
                blobs[blob] = (name.removesuffix(".json"), commit[:12])
    contents = _cat_blobs(top, list(blobs))
    released: Released = {}
    for blob, (ce_type, commit) in blobs.items():
        schema = _parse(contents[blob], f"{rel}/{ce_type}.json at {commit}")
        released.setdefault(ce_type, []).append(ReleasedSchema(ce_type, f"{ref}@{commit}", schema))
    return released


def _cat_blobs(repo: Path, blobs: list[str]) -> dict[str, bytes]:
    """The content of each blob, read in one ``git cat-file --batch``."""
    if not blobs:
        return {}
    out = _git(repo, "cat-file", "--batch", stdin=("\n".join(blobs) + "\n").encode())
    contents: dict[str, bytes] = {}
    offset = 0
    for blob in blobs:
        header_end = out.index(b"\n", offset)
        _, _, size = out[offset:header_end].decode().split()
        start = header_end + 1
        contents[blob] = out[start : start + int(size)]
        offset = start + int(size) + 1
    return contents


def from_directory(directory: Path) -> Released:
    """The schemas of a directory (a copy of a release) as the released versions."""
    if not directory.is_dir():
        raise ReleasedSchemasUnavailable(f"{directory} is not a directory")
    return {
        p.stem: [ReleasedSchema(p.stem, str(p), _parse(p.read_bytes(), str(p)))]
        for p in sorted(directory.glob("*.json"))
    }


def _parse(data: bytes, where: str) -> dict[str, Any]:
    try:
        schema = json.loads(data)
    except ValueError as exc:
        raise ReleasedSchemasUnavailable(f"{where} is not JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise ReleasedSchemasUnavailable(f"{where} is not a JSON Schema object")
    return schema
