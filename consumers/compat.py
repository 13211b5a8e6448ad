"""Schema evolution: what changed between two JSON Schemas, and which way it breaks.

A published message type has consumers on every released version of its schema, so a change
must hold in **both** directions:

- *backward*: the new schema accepts every message produced under the old one (a consumer
  upgraded to the new schema still reads the topic's history);
- *forward*: the old schema accepts every message produced under the new one (a consumer
  still validating with the released schema keeps accepting new messages).

A change that fails either direction is **breaking**: it needs a new type version
(``…v2``), never an edit of ``…v1``. :func:`classify` names every change it finds (a
:class:`Change` with its kind, its JSON path and both verdicts); :func:`compatibility_problems`
lists the breaking ones as sentences.

Messages are produced by the ledger's own models, which emit only the properties their schema
declares. Under that assumption an **optional property added** to an open object (no
``additionalProperties: false``) is compatible both ways: old messages never carried it, and
old schemas ignore it. A **removed property** is treated as breaking (forward): a consumer on
the released schema that reads it would silently stop receiving it. Enumerations, formats,
patterns and bounds are compared as value sets: an added enum value or a widened type is
forward-breaking, a removed value or a narrowed type backward-breaking, any format or pattern
change breaking in at least one direction. Annotations (``title``, ``description``,
``default``, ``examples``) are ignored; a changed root ``$id`` is reported as an *identity*
change, compatible both ways (validation is unchanged). Keywords this module does not model
are breaking when they differ (the gate errs on the side of a new version).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
)
_HANDLED = frozenset(
    {
        "type",
        "enum",
        "const",
        "format",
        "pattern",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "oneOf",
        "$ref",
        "$defs",
        "$id",
        "$schema",
    }
)
_UPPER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Change:
    """One difference between an old and a new schema, with its verdict in each direction."""

    path: str
    kind: str
    detail: str
    backward: bool
    """The new schema accepts every message the old one produced."""
    forward: bool
    """The old schema accepts every message the new one produces."""

    @property
    def breaking(self) -> bool:
        """True unless the change holds in both directions."""
        return not (self.backward and self.forward)

    def describe(self) -> str:
        """One sentence: where, what, and who would reject what."""
        text = f"{self.path}: {self.kind} ({self.detail})" if self.detail else f"{self.path}: {self.kind}"
        if not self.backward:
            text += "; the new schema rejects released messages"
        if not self.forward:
            text += "; consumers on the released schema would reject new messages"
        return text


def classify(old: Schema, new: Schema) -> list[Change]:
    """Every change from ``old`` to ``new`` (both whole schemas, ``$ref`` resolved in each)."""
    changes: list[Change] = []
    if old.get("$id") != new.get("$id"):
        changes.append(
            Change("$", "identity changed", f"$id {old.get('$id')} -> {new.get('$id')}", True, True)
        )
    if old.get("$schema") != new.get("$schema"):
        changes.append(
            Change(
                "$", "dialect changed", f"$schema {old.get('$schema')} -> {new.get('$schema')}", False, False
            )
        )
    changes.extend(_Walker(old, new).node(old, new, "$", 0))
    return changes


def breaking_changes(old: Schema, new: Schema) -> list[Change]:
    """The changes from ``old`` to ``new`` that fail at least one direction."""
    return [c for c in classify(old, new) if c.breaking]


def compatibility_problems(old: Schema, new: Schema) -> list[str]:
    """Why ``new`` cannot replace ``old`` under the same type version (empty: it can)."""
    return [c.describe() for c in breaking_changes(old, new)]


# ---------------------------------------------------------------------------- the walk
def _types(node: Schema) -> frozenset[str] | None:
    """The node's ``type`` as a set (None: unconstrained); ``integer`` is folded into ``number``."""
    kind = node.get("type")
    if kind is None:
        return None
    kinds = {kind} if isinstance(kind, str) else set(kind)
    if "number" in kinds:
        kinds.discard("integer")
    return frozenset(kinds)


def _within(narrow: frozenset[str] | None, wide: frozenset[str] | None) -> bool:
    """Every value of type set ``narrow`` is of type set ``wide`` (None = any type)."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _values(node: Schema) -> list[Any] | None:
    """The node's allowed values (``enum`` or ``const``), or None when unconstrained."""
    if "const" in node:
        return [node["const"]]
    enum = node.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _subset(narrow: list[Any] | None, wide: list[Any] | None) -> bool:
    if wide is None:
        return True
    return narrow is not None and all(v in wide for v in narrow)


def _alternatives(node: Schema) -> list[Schema] | None:
    options = node.get("anyOf", node.get("oneOf"))
    return list(options) if isinstance(options, list) else None


class _Walker:
    """Compares two schemas node by node, resolving ``#/$defs/…`` references in each root."""

    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root

    @staticmethod
    def _resolve(root: Schema, node: Schema) -> Schema:
        seen = 0
        while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/") and seen < 32:
            target: Schema = root.get("$defs", {}).get(node["$ref"].removeprefix("#/$defs/"), {})
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **extra}
            seen += 1
        return node

    def node(self, old: Schema, new: Schema, path: str, depth: int) -> Iterator[Change]:
        """Every change between two sub-schemas at ``path``."""
        if depth > _MAX_DEPTH:
            yield Change(path, "schema too deep to compare", "", False, False)
            return
        old, new = self._resolve(self.old_root, old), self._resolve(self.new_root, new)
        old_alts, new_alts = _alternatives(old), _alternatives(new)
        if old_alts is not None or new_alts is not None:
            yield from self._alternatives(old_alts or [_strip(old)], new_alts or [_strip(new)], path, depth)
            if old_alts is None or new_alts is None:
                return  # the plain side was compared as a single alternative
            old, new = _outer(old), _outer(new)
        yield from self._scalars(old, new, path)
        yield from self._objects(old, new, path, depth)
        old_items, new_items = old.get("items"), new.get("items")
        if isinstance(old_items, dict) and isinstance(new_items, dict):
            yield from self.node(old_items, new_items, f"{path}[]", depth + 1)
        elif old_items != new_items:
            yield Change(f"{path}[]", "items changed", "", new_items is None, old_items is None)
        for key in sorted((set(old) | set(new)) - _HANDLED - ANNOTATIONS - set(_UPPER) - set(_LOWER)):
            if old.get(key) != new.get(key):
                yield Change(path, f"keyword {key} changed", "", False, False)

    def _scalars(self, old: Schema, new: Schema, path: str) -> Iterator[Change]:
        old_t, new_t = _types(old), _types(new)
        if old_t != new_t:
            back, fwd = _within(old_t, new_t), _within(new_t, old_t)
            kind = "type widened" if back else "type narrowed" if fwd else "type changed"
            yield Change(path, kind, f"{_show(old_t)} -> {_show(new_t)}", back, fwd)
        yield from _enum(old, new, path)
        for key in ("format", "pattern"):
            if old.get(key) != new.get(key):
                kind = (
                    f"{key} added"
                    if key not in old
                    else f"{key} removed"
                    if key not in new
                    else f"{key} changed"
                )
                yield Change(path, kind, f"{old.get(key)} -> {new.get(key)}", key not in new, key not in old)
        for key in _UPPER:
            yield from _bound(old, new, path, key, upper=True)
        for key in _LOWER:
            yield from _bound(old, new, path, key, upper=False)

    def _objects(self, old: Schema, new: Schema, path: str, depth: int) -> Iterator[Change]:
        old_props: Schema = old.get("properties") or {}
        new_props: Schema = new.get("properties") or {}
        old_req, new_req = set(old.get("required") or ()), set(new.get("required") or ())
        old_open = old.get("additionalProperties") is not False
        new_open = new.get("additionalProperties") is not False
        for name in sorted(set(old_props) | set(new_props)):
            where = f"{path}.{name}"
            if name in old_props and name in new_props:
                yield from self.node(old_props[name], new_props[name], where, depth + 1)
                if name in new_req and name not in old_req:
                    yield Change(where, "property now required", "", False, True)
                elif name in old_req and name not in new_req:
                    yield Change(where, "property now optional", "", True, False)
            elif name in new_props:
                required = name in new_req
                yield Change(
                    where,
                    "property added (required)" if required else "property added (optional)",
                    "",
                    not required,
                    old_open,
                )
            else:
                yield Change(
                    where, "property removed", "required before" if name in old_req else "", new_open, False
                )
        if old_open and not new_open:
            yield Change(path, "additional properties forbidden", "", False, True)
        elif new_open and not old_open:
            yield Change(path, "additional properties allowed", "", True, False)

    def _alternatives(
        self, olds: list[Schema], news: list[Schema], path: str, depth: int
    ) -> Iterator[Change]:
        """Each old alternative must be accepted by a new one, and each new one by an old one."""
        for i, old in enumerate(olds):
            if not any(_holds(self, old, new, path, depth, "backward") for new in news):
                yield Change(path, "alternative narrowed or removed", f"old alternative {i}", False, True)
        for i, new in enumerate(news):
            if not any(_holds(self, old, new, path, depth, "forward") for old in olds):
                yield Change(path, "alternative widened or added", f"new alternative {i}", True, False)
        if len(olds) == len(news):
            for old, new in zip(olds, news, strict=True):
                if _holds(self, old, new, path, depth, "backward") and _holds(
                    self, old, new, path, depth, "forward"
                ):
                    yield from (c for c in self.node(old, new, path, depth + 1) if not c.breaking)


def _holds(walker: _Walker, old: Schema, new: Schema, path: str, depth: int, direction: str) -> bool:
    return all(getattr(c, direction) for c in walker.node(old, new, path, depth + 1))


def _enum(old: Schema, new: Schema, path: str) -> Iterator[Change]:
    old_v, new_v = _values(old), _values(new)
    if old_v == new_v:
        return
    back, fwd = _subset(old_v, new_v), _subset(new_v, old_v)
    if old_v is None or new_v is None:
        yield Change(path, "enum added" if new_v is not None else "enum removed", "", back, fwd)
        return
    added = [v for v in new_v if v not in old_v]
    removed = [v for v in old_v if v not in new_v]
    if not added and not removed:
        return  # the same values in another order
    kind = "enum value added" if not removed else "enum value removed" if not added else "enum changed"
    yield Change(path, kind, ", ".join([*(f"+{v}" for v in added), *(f"-{v}" for v in removed)]), back, fwd)


def _outer(node: Schema) -> Schema:
    """A union node without its alternatives (what applies to every alternative)."""
    return {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}


def _strip(node: Schema) -> Schema:
    """A node without its annotations (used as the single alternative of a non-union node)."""
    return {k: v for k, v in node.items() if k not in ANNOTATIONS}


def _bound(old: Schema, new: Schema, path: str, key: str, upper: bool) -> Iterator[Change]:
    a, b = old.get(key), new.get(key)
    if a == b:
        return
    if a is None:
        yield Change(path, f"{key} added", f"{b}", False, True)
    elif b is None:
        yield Change(path, f"{key} removed", f"{a}", True, False)
    else:
        wider = b > a if upper else b < a
        yield Change(path, f"{key} {'widened' if wider else 'narrowed'}", f"{a} -> {b}", wider, not wider)


def _show(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))
