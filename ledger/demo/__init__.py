"""Synthetic, rule-abiding cohorts for both regimes, deterministic for a seed."""
