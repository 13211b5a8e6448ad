"""Prometheus metrics of the API (one registry per app, served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ApiMetrics:
    """Requests by route and status, latency, commands by outcome, idempotent replays."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ledger_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ledger_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.commands = Counter(
            "ledger_commands_total",
            "Commands by name and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.replays = Counter(
            "ledger_idempotent_replays_total",
            "Writes answered from the idempotency store",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "ledger_rate_limited_total", "Public requests refused with 429", registry=self.registry
        )
        self.head = Gauge(
            "ledger_store_head", "Last notification id seen by this server", registry=self.registry
        )
