"""The integrity log built on :mod:`ledger.integrity`.

* :mod:`ledger.audit.log` – leaves, the follower handler, checkpoints, proofs, verify.
* :mod:`ledger.audit.tiles`, :mod:`ledger.audit.http` – the log as public c2sp.org/tlog-tiles.
* :mod:`ledger.audit.publish` – the same tiles as static files (``ledger audit publish``).
* :mod:`ledger.audit.witnessing` – checkpoints cosigned by the witnesses of a policy.
* :mod:`ledger.audit.witness_server` – a witness for other logs (``ledger witness serve``).
* :mod:`ledger.audit.monitor` – following a remote log, catching split views.
* :mod:`ledger.audit.bundle` – the proofs of a certificate's decisions in one document.
"""
