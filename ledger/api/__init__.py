"""The HTTP API: every command and query of the ledger, behind roles and signed tokens.

``create_app(settings)`` builds the FastAPI application (``ledger serve`` runs it with
uvicorn). Modules: ``tokens`` (Ed25519 JWS key ring), ``roles`` (who may write and read
what), ``idempotency`` (client request ids), ``problems`` (RFC 9457), ``metrics``,
``ratelimit``, ``routes_write``/``routes_read`` and ``extensions`` (adapters for the
credentials router, the audit log and the read models), ``supervisor`` (``ledger up``).
"""
