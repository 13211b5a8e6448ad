"""The rate-limit windows: configured rates honoured, defaults that hold a client's real burst."""

from __future__ import annotations

from ledger.api.ratelimit import Budgets, RateLimits, window
from ledger.settings import Settings


def test_a_rate_above_the_burst_is_honoured_not_cut_to_the_burst() -> None:
    """rate=1000/s with burst 40: 1000 in the 1 s window (the first release allowed 40)."""
    item = window(1000.0, 40)
    assert item is not None and item.amount == 1000 and item.get_expiry() == 1
    limiter = RateLimits(Budgets(address=item, ops=None, principal=None))
    assert all(limiter.take("address", "10.0.0.1") == 0 for _ in range(1000))
    assert limiter.take("address", "10.0.0.1") > 0


def test_an_uneven_ratio_keeps_at_least_the_rate_over_the_window() -> None:
    item = window(15.0, 40)  # 3 s window: 45 requests, never fewer than the burst
    assert item is not None and item.get_expiry() == 3 and item.amount == 45


def test_defaults_hold_a_conformance_run_from_one_address_and_stop_a_flood() -> None:
    """A reference verifier's ~250 requests at once pass; past the 500 burst the address waits."""
    conf = Settings.model_construct()  # the defaults, whatever the environment says
    limiter = RateLimits(
        Budgets(
            address=window(conf.api_public_rate, conf.api_public_burst),
            ops=window(conf.api_ops_rate, conf.api_ops_burst),
            principal=window(conf.api_principal_rate, conf.api_principal_burst),
        )
    )
    assert all(limiter.take("address", "192.0.2.7") == 0 for _ in range(250))
    assert all(limiter.take("principal", "jury:fase:1") == 0 for _ in range(250))
    allowed = sum(limiter.take("address", "192.0.2.7") == 0 for _ in range(1000))
    assert allowed == conf.api_public_burst - 250
    wait = limiter.take("address", "192.0.2.7")
    assert 0 < wait <= conf.api_public_burst / conf.api_public_rate
    assert limiter.take("address", "192.0.2.8") == 0  # another address has its own budget
