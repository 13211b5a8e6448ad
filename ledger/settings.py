"""Typed settings, read once by the entry points (the only module that reads the environment).

:class:`Settings` is built from ``LEDGER_*`` environment variables and the command line's flags
(flags win) by the CLI, the API factory and the tests, then passed down: nothing below the
entry points reads ``os.environ``.

============================ ========================= ==========================================
setting                      environment variable      default
============================ ========================= ==========================================
``db``                       ``LEDGER_DB``             ``ledger.db`` (a SQLite file or a
                                                       ``postgresql://`` URL; flag ``--db``)
``key_dir``                  ``LEDGER_KEY_DIR``        beside the store (see :meth:`key_directory`;
                                                       flag ``--key-dir``)
``log_level``                ``LEDGER_LOG_LEVEL``      ``WARNING`` (flag ``--log-level``)
``cache_size``               ``LEDGER_CACHE_SIZE``     20,000 aggregates
``origin``                   ``LEDGER_ORIGIN``         ``ledger.example/cpu-clea-ledger`` (the
                                                       integrity log; flag ``--origin``)
``issuer_did``               ``LEDGER_ISSUER_DID``     the credentials' default issuer
``public_url``               ``LEDGER_PUBLIC_URL``     the credentials' default public URL
``api_host`` / ``api_port``  ``LEDGER_API_HOST|PORT``  ``127.0.0.1`` / 8080 (``--host``, ``--port``)
``api_public_rate|burst``    ``LEDGER_API_PUBLIC_*``   50 requests/s, burst 500 (500 per 10 s
                                                       window), per client address on every
                                                       route but health/metrics (0: off)
``api_principal_rate|burst`` ``LEDGER_API_PRINCIPAL_*`` 50 requests/s, burst 500, per token subject
``api_ops_rate|burst``       ``LEDGER_API_OPS_*``      50 requests/s, burst 100, per client address
                                                       on /healthz, /readyz, /metrics (own bucket)
``api_workers``              ``LEDGER_API_WORKERS``    1 (``serve --workers``: each worker takes
                                                       1/N of every burst, see ledger.api.ratelimit)
``trusted_proxies``          ``LEDGER_TRUSTED_PROXIES`` empty: X-Forwarded-For is ignored; comma-
                                                       separated addresses/CIDRs whose
                                                       X-Forwarded-For is honoured
``api_max_body``             ``LEDGER_API_MAX_BODY``   1 MiB (413 while streaming)
``api_max_json_depth``       ``LEDGER_API_MAX_JSON_    32 levels (400); ``api_max_json_values``:
                             DEPTH``                   100,000 values (400)
``api_body_timeout``         ``LEDGER_API_BODY_        30 s to send a whole body (408)
                             TIMEOUT``
``api_header_timeout``       ``LEDGER_API_HEADER_      10 s to send a request's headers (closed)
                             TIMEOUT``
``api_keep_alive``           ``LEDGER_API_KEEP_ALIVE`` 5 s idle keep-alive (uvicorn
                                                       ``timeout_keep_alive``)
``kafka``                    ``LEDGER_KAFKA``          unset (``ledger up`` starts no relay);
                                                       ``--bootstrap``
``topic_prefix``             ``LEDGER_TOPIC_PREFIX``   ``ledger`` (``--topic-prefix``)
``read_ahead_min_lag``       ``LEDGER_READ_AHEAD_MIN_  200,000 events
                             LAG``
``pg_wait``                  ``LEDGER_PG_WAIT``        30 s: how long the CLI waits for a
                                                       PostgreSQL store that does not answer
``lang``                     ``LEDGER_LANG``           ``fr`` (what a person reads: ``fr`` or
                                                       ``en``; flag ``--lang``)
``status_cache``             ``LEDGER_STATUS_CACHE``   ``.ledger/status-cache`` (unused since
                                                       ``credential verify`` takes ``--status-list``)
``conformance_issuer_seed``  ``LEDGER_CONFORMANCE_     unset: the VC API issues nothing; 32 bytes
                             ISSUER_SEED``             hex: ``POST /credentials/issue`` signs as
                                                       that did:key (W3C conformance suites)
``witness_policy``           ``LEDGER_WITNESS_POLICY`` unset (no witnessing); a Sigsum/torchwood
                                                       policy file (``--witness-policy``)
``log_prefix``               ``LEDGER_LOG_PREFIX``     ``/log`` (where ``ledger serve`` serves the
                                                       c2sp.org/tlog-tiles log; ``--log-prefix``)
============================ ========================= ==========================================
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.adapters.target import DEFAULT_CACHE_SIZE, StoreTarget


class Settings(BaseSettings):
    """Every setting of the ledger's processes (``LEDGER_*``; flags override them)."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore", frozen=True)

    db: str = Field(default="ledger.db", description="SQLite file or postgresql:// URL")
    key_dir: Path | None = Field(default=None, description="key directory (default: beside the store)")
    log_level: str = "WARNING"
    cache_size: int = Field(default=DEFAULT_CACHE_SIZE, ge=0)
    origin: str | None = None
    issuer_did: str | None = None
    public_url: str | None = None
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    # Rate limits (moving windows, ledger.api.ratelimit). Why these defaults: a real client
    # sends its work in bursts. One run of a W3C VC conformance suite posts 100-140 requests in
    # about 3 s; Digital Bazaar's reference verifier, checking a learner's seven credentials,
    # fetches DID documents, contexts and status lists again for each one: about 250 requests
    # in a few seconds, faster on a faster machine (measured on tests/interop, limits off). A
    # burst of 500 holds either run whole, whatever the machine's speed, with 2x margin; 50/s
    # averaged over the 10 s window still cuts a flood from one address (or one leaked token)
    # to 50 requests/s, a small share of what the two cores serve on cheap reads and a bounded
    # one on verification (8-30 ms of CPU each, BENCHMARKS.md section 6). Health and metrics
    # keep their own small bucket (probes and scrapes send a few per second).
    api_public_rate: float = Field(default=50.0, ge=0, description="0 turns the limit off")
    api_public_burst: int = Field(default=500, ge=1)
    api_principal_rate: float = Field(default=50.0, ge=0, description="0 turns the limit off")
    api_principal_burst: int = Field(default=500, ge=1)
    api_ops_rate: float = Field(default=50.0, ge=0, description="0 turns the limit off")
    api_ops_burst: int = Field(default=100, ge=1)
    api_workers: int = Field(default=1, ge=1, description="server processes sharing the budgets")
    trusted_proxies: str = Field(default="", description="addresses/CIDRs whose X-Forwarded-For counts")
    api_max_body: int = Field(default=1_048_576, ge=1024)
    api_max_json_depth: int = Field(default=32, ge=2)
    api_max_json_values: int = Field(default=100_000, ge=10)
    api_body_timeout: float = Field(default=30.0, gt=0)
    api_header_timeout: float = Field(default=10.0, gt=0)
    api_keep_alive: float = Field(default=5.0, gt=0)
    kafka: str | None = None
    topic_prefix: str | None = None
    read_ahead_min_lag: int = Field(default=200_000, ge=1)
    pg_wait: float = Field(default=30.0, gt=0, description="seconds a PostgreSQL store is waited for")
    status_cache: Path = Path(".ledger/status-cache")
    lang: str = Field(default="fr", pattern=r"^(fr|en)([-_].*)?$", description="fr or en")
    conformance_issuer_seed: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{64}$", description="did:key seed of the VC API test issuer"
    )
    witness_policy: Path | None = Field(default=None, description="witness policy file")
    log_prefix: str = Field(default="/log", description="URL path of the public tiled log")

    @field_validator("log_prefix")
    @classmethod
    def _url_path(cls, value: str) -> str:
        """``/a/b`` (a trailing slash dropped); segments of URL-safe characters only."""
        path = value.rstrip("/")
        if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", path):
            raise ValueError(f"not a URL path like /log: {value!r}")
        return path

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Comma-separated IP addresses or CIDR blocks (checked here, parsed by the API)."""
        import ipaddress

        for part in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(part, strict=False)
        return value

    @classmethod
    def load(cls, **flags: Any) -> Settings:
        """The environment's settings with the flags that were given (not ``None``) on top."""
        return cls(**{name: value for name, value in flags.items() if value is not None})

    def with_flags(self, **flags: Any) -> Settings:
        """A copy with the flags that were given (not ``None``) on top."""
        given = {name: value for name, value in flags.items() if value is not None}
        return self.model_copy(update=given) if given else self

    def target(self) -> StoreTarget:
        """Where the events live (parsed from ``db``)."""
        return StoreTarget.parse(self.db)

    def key_directory(self) -> Path:
        """``key_dir`` when set, else the store's own key directory — never the working directory.

        SQLite: ``.ledger/keys`` beside the file; PostgreSQL: a per-user directory named after
        the database (:func:`ledger.adapters.keys.default_key_dir`). It holds the identity
        key-encryption key (``identity/``), the integrity log's signing keys, the credential
        issuer keys (``credentials/``) and the API token keys (``tokens/``).
        """
        from ledger.adapters.keys import default_key_dir  # keys load the signing library: lazily

        return self.key_dir if self.key_dir is not None else default_key_dir(self.target())
