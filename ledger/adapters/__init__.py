"""Adapters: the event store, the follower, the identity store and the key store.

They may import ``ledger.domain``, ``ledger.integrity`` and third-party drivers; never the
application, the entry points, ``projections`` or ``consumers``.
"""
