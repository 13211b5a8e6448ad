"""Offline JSON-LD document loader and bounded RDF Dataset Canonicalization (RDFC-1.0).

Only the contexts bundled in ``ledger/credentials/contexts`` can be loaded; any other
URL raises :class:`UnknownContextError` and nothing is ever fetched from the network.

**Engine.** :func:`canonicalize_rdf` converts JSON-LD to RDF and canonicalises it with
pyoxigraph (Rust: its JSON-LD 1.1 parser and RDFC-1.0), the bundled contexts inlined in
place of their URLs (the same term definitions, so the same dataset). Measured on the
ledger's credentials (BENCHMARKS.md, "Credential verification"): pyld 3.3 ≈ 20 ms per
document (16 ms of it expanding, re-processing the type-scoped contexts of every node even
with its caches shared), pyoxigraph ≈ 5 ms, with byte-identical N-Quads (a test compares
them on every credential kind). pyld remains the reference in tests and the engine for
datasets with many blank nodes, where its bounded URDNA2015 below guards the work.

**Threads.** Nothing mutable is shared between calls: pyld's caches (cachetools
``LRUCache``, not thread-safe) were shared by a server's threads through one loader and
corrupted verdicts under load; each pyld call now gets its own resolver and cache.

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

import functools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from cachetools import LRUCache  # type: ignore[import-untyped,unused-ignore]

from ledger.credentials.errors import (
    CanonicalizationError,
    CanonicalizationLimitError,
    UnknownContextError,
)

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
LEDGER_V1 = "https://certificates.ledger.example/contexts/ledger-v1.json"
"""The ledger's own terms (the recording evidence's ``logPosition``, ``leafHash``, ``tlogProof``)."""

CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"

BUNDLED_CONTEXTS: Mapping[str, str] = {
    CREDENTIALS_V2: "credentials-v2.json",
    CREDENTIALS_V1: "credentials-v1.json",
    DATA_INTEGRITY_V2: "data-integrity-v2.json",
    CREDENTIALS_EXAMPLES_V2: "credentials-examples-v2.json",
    OPEN_BADGES_V3: "ob-v3p0-context-3.0.3.json",
    LEDGER_V1: "ledger-v1.json",
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
    prechecked: bool = False
    """The JSON size and depth limits were already checked on the enclosing document."""
    compiled: bool = False
    """Parse known context lists against the compiled context (a fast path; see ``canonicalize_rdf``)."""


DEFAULT_LIMITS = CanonicalizationLimits()


def _read_context(filename: str) -> str:
    directory = resources.files("ledger.credentials").joinpath("contexts")
    return directory.joinpath(filename).read_text("utf-8")


class OfflineDocumentLoader:
    """A pyld document loader serving only bundled contexts; it never uses the network."""

    def __init__(self, extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Load the bundled contexts, plus optional ``extra`` URL -> parsed context."""
        self._documents: dict[str, str] = {url: _read_context(name) for url, name in BUNDLED_CONTEXTS.items()}
        for url, document in (extra or {}).items():
            self._documents[url] = json.dumps(document)
        self._parsed: dict[str, Any] = {
            url: json.loads(text)["@context"] for url, text in self._documents.items()
        }

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
        """Return a pyld ContextResolver with a cache private to the caller (never shared)."""
        from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped,unused-ignore]

        return ContextResolver(LRUCache(maxsize=16), self)

    def context(self, url: str) -> Any:
        """The parsed ``@context`` value of a bundled context (read-only: do not mutate)."""
        found = self._parsed.get(url)
        if found is None:
            raise UnknownContextError(f"JSON-LD context not bundled (no network): {url!r}")
        return found

    def inline(self, value: Any) -> Any:
        """``value`` with every bundled context URL replaced by its definition (copies as needed)."""
        if isinstance(value, list):
            return [self.inline(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[key] = self._inline_context(item) if key == "@context" else self.inline(item)
        return out

    def _inline_context(self, ctx: Any) -> Any:
        if isinstance(ctx, str):
            return self.context(ctx)
        if isinstance(ctx, list):
            return [self._inline_context(item) for item in ctx]
        if isinstance(ctx, Mapping):
            if "@import" in ctx:
                raise UnknownContextError("@import is not supported offline")
            if "@context" in ctx:  # a context document given inline: its @context (as jsonld.js reads it)
                return self._inline_context(ctx["@context"])
            return {key: self._inline_term(value) for key, value in ctx.items()}
        return ctx

    def _inline_term(self, definition: Any) -> Any:
        """A term definition with its scoped context (if any) inlined."""
        if isinstance(definition, Mapping) and "@context" in definition:
            return {**definition, "@context": self._inline_context(definition["@context"])}
        return definition


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


@functools.cache
def _bounded_urdna2015_class() -> type[Any]:
    """The URDNA2015 of pyld, with a work counter and a deadline, defined on first use.

    pyld (and requests, which it imports) cost ~0.1 s of start-up: every process building
    the application would pay it, though only canonicalisation needs it.
    """
    from pyld.canon import URDNA2015  # type: ignore[import-untyped,unused-ignore]

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

    return _BoundedURDNA2015


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
    from pyld import jsonld  # type: ignore[import-untyped,unused-ignore]

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


# ---------------------------------------------------------------------------- compiled contexts
COMPILED_LISTS = frozenset(
    {(CREDENTIALS_V2,), (CREDENTIALS_V2, OPEN_BADGES_V3), (CREDENTIALS_V2, OPEN_BADGES_V3, LEDGER_V1)}
)
"""The context lists of the ledger's credentials (first release and current), status lists and
proof configurations."""
_PREFERRED = {"status": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#status"}
"""Terms two scopes define differently: the meaning they have where the ledger's credentials
use them (``status`` of an OB 3.0 ``Result``; the VC 2.0 one belongs to status messages)."""


def _flatten(ctx: Any, into: dict[str, Any], top: bool, ambiguous: set[str]) -> None:
    if isinstance(ctx, list):
        for item in ctx:
            _flatten(item, into, top, ambiguous)
        return
    for term, value in ctx.items():
        if term.startswith("@"):
            if top and term == "@vocab":
                into.setdefault(term, value)
            continue
        definition = dict(value) if isinstance(value, Mapping) else {"@id": value}
        scoped = definition.pop("@context", None)
        definition.pop("@protected", None)
        definition.pop("@container", None)  # @set only: no effect on the dataset
        known = into.get(term)
        if term in _PREFERRED:
            definition = {"@id": _PREFERRED[term]}
        elif known is not None and known.get("@id") != definition.get("@id"):
            ambiguous.add(term)  # left out: a document using it falls back to the full contexts
        elif known is not None:
            definition = {**known, **definition}  # a coercion is ignored for node objects
        into[term] = definition
        if scoped is not None:
            _flatten(scoped, into, False, ambiguous)


_COMPILED: dict[tuple[str, ...], dict[str, Any]] = {}


def compiled_context(urls: tuple[str, ...], loader: OfflineDocumentLoader) -> dict[str, Any]:
    """One flat context with every term of ``urls``, their type-scoped contexts included.

    For the ledger's credentials this yields the same dataset as the full contexts (each term
    has one meaning wherever they use it; a test compares the N-Quads of every kind) while
    the JSON-LD parser no longer processes a scoped context at every typed node: a fifth of
    the work. Only a fast path: callers fall back to the full contexts on any mismatch.
    """
    found = _COMPILED.get(urls)
    if found is None:
        flat: dict[str, Any] = {"@version": 1.1}
        ambiguous: set[str] = set()
        for url in urls:
            _flatten(loader.context(url), flat, True, ambiguous)
        for term in ambiguous:
            flat.pop(term, None)
        found = _COMPILED.setdefault(urls, flat)
    return found


def _has_nested_context(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if "@context" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def compiled_form(document: Any, loader: OfflineDocumentLoader) -> Any | None:
    """``document`` with its known context list replaced by the compiled context, else ``None``."""
    if not isinstance(document, Mapping):
        return None
    context = document.get("@context")
    if not (
        isinstance(context, list)
        and all(isinstance(c, str) for c in context)
        and tuple(context) in COMPILED_LISTS
    ):
        return None
    body = {k: v for k, v in document.items() if k != "@context"}
    if _has_nested_context(body):
        return None
    return {"@context": compiled_context(tuple(context), loader), **body}


FAST_MAX_BLANK_NODES = 256
"""Datasets with more blank nodes are canonicalised by the bounded pyld URDNA2015 instead."""


def _first_degree_distinct(quads: list[Any]) -> bool:
    """Whether every blank node has its own first-degree hash input (RDFC-1.0 §4.6).

    Then canonicalisation never reaches the N-degree step, whose work can be exponential on
    poisoned datasets (cliques of look-alike blank nodes), and pyoxigraph's unbounded
    implementation is safe; otherwise the bounded pyld algorithm runs.
    """
    import pyoxigraph as ox

    lines: dict[str, list[str]] = {}
    for quad in quads:
        terms = (quad.subject, quad.predicate, quad.object, quad.graph_name)
        for blank in {t.value for t in terms if isinstance(t, ox.BlankNode)}:
            lines.setdefault(blank, []).append(
                " ".join(
                    ("_:a" if t.value == blank else "_:z") if isinstance(t, ox.BlankNode) else str(t)
                    for t in terms
                )
            )
    signatures = {"\n".join(sorted(found)) for found in lines.values()}
    return len(signatures) == len(lines)


def _oxigraph_quads(document: Any, loader: OfflineDocumentLoader, compiled: bool = False) -> list[Any]:
    import pyoxigraph as ox

    fast = compiled_form(document, loader) if compiled else None
    text = json.dumps(fast if fast is not None else loader.inline(document), ensure_ascii=False)
    try:
        return list(ox.parse(text, format=ox.RdfFormat.JSON_LD))
    except (SyntaxError, ValueError, OSError) as exc:
        raise CanonicalizationError(f"JSON-LD: {exc}") from exc


def _check_quads(quads: list[Any], limits: CanonicalizationLimits) -> int:
    import pyoxigraph as ox

    if len(quads) > limits.max_statements:
        raise CanonicalizationLimitError(f"{len(quads)} RDF statements exceed the limit")
    blank = {
        term.value
        for q in quads
        for term in (q.subject, q.object, q.graph_name)
        if isinstance(term, ox.BlankNode)
    }
    if len(blank) > limits.max_blank_nodes:
        raise CanonicalizationLimitError(f"{len(blank)} blank nodes exceed the limit")
    return len(blank)


def _sorted_nquads(data: bytes) -> str:
    return "".join(sorted(line + "\n" for line in data.decode("utf-8").splitlines() if line))


def canonicalize_rdf(
    document: Any,
    limits: CanonicalizationLimits = DEFAULT_LIMITS,
    loader: OfflineDocumentLoader | None = None,
    *,
    compiled: bool = False,
) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document (pyoxigraph).

    ``compiled`` parses a document with a known context list against the compiled context
    (:func:`compiled_context`): a fast path whose result the caller must not trust alone
    (verification falls back to the full contexts before it calls a signature bad).
    Raises :class:`UnknownContextError` for a context that is not bundled,
    :class:`CanonicalizationLimitError` when a hostile-input bound trips and
    :class:`CanonicalizationError` for any other JSON-LD failure.
    """
    import pyoxigraph as ox

    if not limits.prechecked:
        check_json_limits(document, limits)
    loader = loader or default_loader()
    quads = _oxigraph_quads(document, loader, compiled or limits.compiled)
    blank = _check_quads(quads, limits)
    if blank > FAST_MAX_BLANK_NODES or not _first_degree_distinct(quads):  # bounded algorithm
        from pyld import jsonld  # type: ignore[import-untyped,unused-ignore]

        nquads = (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
        return _bounded_urdna2015(jsonld.parse_nquads(nquads), limits)
    dataset = ox.Dataset(quads)
    try:
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    except Exception as exc:
        raise CanonicalizationError(f"RDF canonicalisation: {exc}") from exc
    return _sorted_nquads(ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b"")


def _bounded_urdna2015(dataset: dict[str, Any], limits: CanonicalizationLimits) -> str:
    deadline = time.monotonic() + limits.timeout_seconds
    canon = _bounded_urdna2015_class()(limits, deadline)
    try:
        result = canon.main(dataset, {"algorithm": "URDNA2015", "format": NQUADS})
    except CanonicalizationError:
        raise
    except Exception as exc:
        raise CanonicalizationError(f"RDF canonicalisation: {exc}") from exc
    if time.monotonic() > deadline:
        raise CanonicalizationLimitError("RDF canonicalisation timed out")
    return str(result)


def canonicalize_rdf_pyld(
    document: Any,
    limits: CanonicalizationLimits = DEFAULT_LIMITS,
    loader: OfflineDocumentLoader | None = None,
) -> str:
    """The same canonical N-Quads computed by pyld alone (the reference the tests compare with)."""
    check_json_limits(document, limits)
    dataset = _to_dataset(document, loader or default_loader())
    _check_dataset(dataset, limits)
    return _bounded_urdna2015(dataset, limits)
