"""Offline JSON-LD document loader and bounded RDF Dataset Canonicalization (RDFC-1.0).

Only the contexts bundled in ``ledger/credentials/contexts`` can be loaded; any other
URL raises :class:`UnknownContextError` and nothing is ever fetched from the network.
Resolved contexts are cached in a cache private to each loader, so a context resolved
elsewhere in the process (e.g. by a network loader) can never leak in.

Hostile input is bounded in three layers (see :class:`CanonicalizationLimits`):

1. before JSON-LD processing, a walk of the JSON value limits nesting depth, node count
   and total string size (this bounds expansion and RDF conversion, which cannot be
   interrupted);
2. after conversion to RDF, the number of statements and blank nodes is limited;
3. during URDNA2015 (pyld's name for RDFC-1.0; pyld's default algorithm URGNA2012 is the
   wrong one), a subclass counts *Hash N-Degree Quads* invocations - the step that is
   exponential on poisoned datasets - and checks a wall-clock deadline in every
   first-degree and N-degree hash call, aborting with :class:`CanonicalizationLimitError`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from cachetools import LRUCache  # type: ignore[import-untyped,unused-ignore]
from pyld import jsonld  # type: ignore[import-untyped,unused-ignore]
from pyld.canon import URDNA2015  # type: ignore[import-untyped,unused-ignore]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped,unused-ignore]

from ledger.credentials.errors import (
    CanonicalizationError,
    CanonicalizationLimitError,
    UnknownContextError,
)

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

BUNDLED_CONTEXTS: Mapping[str, str] = {
    CREDENTIALS_V2: "credentials-v2.json",
    CREDENTIALS_EXAMPLES_V2: "credentials-examples-v2.json",
    OPEN_BADGES_V3: "ob-v3p0-context-3.0.3.json",
}
"""Context URL -> file name in the ``contexts`` package directory."""

NQUADS = "application/n-quads"


@dataclass(frozen=True)
class CanonicalizationLimits:
    """Bounds applied to untrusted input before and during RDF canonicalisation."""

    max_string_chars: int = 1_048_576
    max_depth: int = 32
    max_nodes: int = 50_000
    max_statements: int = 10_000
    max_blank_nodes: int = 2_000
    max_n_degree_calls: int = 2_000
    timeout_seconds: float = 5.0


DEFAULT_LIMITS = CanonicalizationLimits()


def _read_context(filename: str) -> str:
    directory = resources.files("ledger.credentials").joinpath("contexts")
    return directory.joinpath(filename).read_text("utf-8")


class OfflineDocumentLoader:
    """A pyld document loader serving only bundled contexts; it never uses the network."""

    def __init__(self, extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Load the bundled contexts, plus optional ``extra`` URL -> parsed context."""
        self._documents: dict[str, str] = {
            url: _read_context(name) for url, name in BUNDLED_CONTEXTS.items()
        }
        for url, document in (extra or {}).items():
            self._documents[url] = json.dumps(document)
        self._cache: Any = LRUCache(maxsize=64)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return a pyld RemoteDocument for ``url`` or raise :class:`UnknownContextError`."""
        text = self._documents.get(url)
        if text is None:
            raise UnknownContextError(f"JSON-LD context not bundled (no network): {url!r}")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads(text),
        }

    def context_resolver(self) -> Any:
        """Return a pyld ContextResolver over this loader with a private cache."""
        return ContextResolver(self._cache, self)


_DEFAULT_LOADER: OfflineDocumentLoader | None = None


def default_loader() -> OfflineDocumentLoader:
    """Return the process-wide loader over the bundled contexts."""
    global _DEFAULT_LOADER  # noqa: PLW0603 - lazy singleton
    if _DEFAULT_LOADER is None:
        _DEFAULT_LOADER = OfflineDocumentLoader()
    return _DEFAULT_LOADER


def check_json_limits(document: Any, limits: CanonicalizationLimits = DEFAULT_LIMITS) -> None:
    """Raise :class:`CanonicalizationLimitError` if ``document`` is too deep or too big."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    nodes = chars = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > limits.max_depth or nodes > limits.max_nodes:
            raise CanonicalizationLimitError("document too deep or has too many nodes")
        if isinstance(value, str):
            chars += len(value)
        elif isinstance(value, Mapping):
            chars += sum(len(str(key)) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1) for item in value)
        if chars > limits.max_string_chars:
            raise CanonicalizationLimitError("document strings exceed the size limit")


class _BoundedURDNA2015(URDNA2015):  # type: ignore[misc]
    """URDNA2015 (RDFC-1.0) with a work counter and a wall-clock deadline."""

    def __init__(self, limits: CanonicalizationLimits, deadline: float) -> None:
        super().__init__()
        self._limits = limits
        self._deadline = deadline
        self._n_degree_calls = 0

    def _check_deadline(self) -> None:
        if time.monotonic() > self._deadline:
            raise CanonicalizationLimitError("RDF canonicalisation timed out")

    def hash_first_degree_quads(self, id_: str) -> str:
        self._check_deadline()
        return str(super().hash_first_degree_quads(id_))

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self._n_degree_calls += 1
        if self._n_degree_calls > self._limits.max_n_degree_calls:
            raise CanonicalizationLimitError("RDF canonicalisation work limit exceeded")
        self._check_deadline()
        return super().hash_n_degree_quads(id_, issuer)


def _find_cause(exc: BaseException) -> CanonicalizationError | None:
    seen: BaseException | None = exc
    for _ in range(32):
        if seen is None:
            return None
        if isinstance(seen, CanonicalizationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _to_dataset(document: Any, loader: OfflineDocumentLoader) -> dict[str, Any]:
    options = {
        "documentLoader": loader,
        "contextResolver": loader.context_resolver(),
        "base": "",
        "produceGeneralizedRdf": False,
        "processingMode": "json-ld-1.1",
    }
    try:
        dataset = jsonld.to_rdf(document, options)
    except Exception as exc:  # pyld raises JsonLdError and assorted built-ins
        raise _find_cause(exc) or CanonicalizationError(f"JSON-LD: {exc}") from exc
    if not isinstance(dataset, dict):
        raise CanonicalizationError("JSON-LD: unexpected to_rdf result")
    return dataset


def _check_dataset(dataset: Mapping[str, Any], limits: CanonicalizationLimits) -> None:
    statements = 0
    blank_nodes: set[str] = set()
    for name, triples in dataset.items():
        statements += len(triples)
        if name.startswith("_:"):
            blank_nodes.add(name)
        for triple in triples:
            for part in ("subject", "object"):
                if triple[part]["type"] == "blank node":
                    blank_nodes.add(triple[part]["value"])
    if statements > limits.max_statements:
        raise CanonicalizationLimitError(f"{statements} RDF statements exceed the limit")
    if len(blank_nodes) > limits.max_blank_nodes:
        raise CanonicalizationLimitError(f"{len(blank_nodes)} blank nodes exceed the limit")


def canonicalize_rdf(
    document: Any,
    limits: CanonicalizationLimits = DEFAULT_LIMITS,
    loader: OfflineDocumentLoader | None = None,
) -> str:
    """Return the RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document.

    Raises :class:`UnknownContextError` for a context that is not bundled,
    :class:`CanonicalizationLimitError` when a hostile-input bound trips and
    :class:`CanonicalizationError` for any other JSON-LD failure.
    """
    deadline = time.monotonic() + limits.timeout_seconds
    check_json_limits(document, limits)
    dataset = _to_dataset(document, loader or default_loader())
    _check_dataset(dataset, limits)
    canon = _BoundedURDNA2015(limits, deadline)
    try:
        result = canon.main(dataset, {"algorithm": "URDNA2015", "format": NQUADS})
    except CanonicalizationError:
        raise
    except Exception as exc:
        raise CanonicalizationError(f"RDF canonicalisation: {exc}") from exc
    if time.monotonic() > deadline:
        raise CanonicalizationLimitError("RDF canonicalisation timed out")
    return str(result)
