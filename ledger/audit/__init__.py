"""The integrity log built on :mod:`ledger.integrity`: leaves, the follower handler, checkpoints, verify."""
