"""Kafka settings: the production example is accepted as written, malformed names are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.topics import KafkaSettings
from ledger.domain.errors import InvalidCommand
from ledger.integrity.note import is_valid_key_name
from ledger.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "production" / "systemd" / "ledger.env.example"


def example_env() -> dict[str, str]:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_production_example_is_accepted_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """LEDGER_ORIGIN=ledger.example.org/cpu-clea-ledger and three brokers: valid settings.

    The file is loaded as systemd's EnvironmentFile does (into the environment), read by the
    ledger's settings, then checked as the Kafka verbs do.
    """
    env = example_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    conf = Settings.load()
    settings = KafkaSettings.checked(conf.kafka, conf.topic_prefix, conf.origin)
    assert settings.origin == "ledger.example.org/cpu-clea-ledger" == env["LEDGER_ORIGIN"]
    assert settings.source == "urn:ledger:ledger.example.org/cpu-clea-ledger"
    assert settings.bootstrap.count(",") == 2 and settings.prefix == "ledger"
    assert is_valid_key_name(settings.origin)  # the same name signs checkpoints


@pytest.mark.parametrize(
    "origin", ["ledger", "ledger.example/cpu-clea-ledger", "log.example.org:8443/a_b~c", "x@y"]
)
def test_checkpoint_style_origins_are_accepted(origin: str) -> None:
    """Schema-less URLs (C2SP checkpoint origins) are valid CloudEvents sources."""
    assert KafkaSettings(origin=origin).source == f"urn:ledger:{origin}"
    KafkaSettings(origin=origin).check()


@pytest.mark.parametrize(
    ("origin", "why"),
    [
        ("", "empty"),
        ("a+b", "plus: a signed-note key name never has one"),
        ("a b", "space"),
        ("a\tb", "control character"),
        ("/abs", "leading slash"),
        ("é.example", "not a URI character"),
        ("x" * 256, "too long"),
    ],
)
def test_malformed_origins_are_refused(origin: str, why: str) -> None:
    """Each broken rule is refused with a message naming LEDGER_ORIGIN."""
    with pytest.raises(InvalidCommand, match="invalid LEDGER_ORIGIN"):
        KafkaSettings(origin=origin).check()


@pytest.mark.parametrize("bootstrap", ["nowhere", "host:", "host:99999", "a:1,b", ":9092"])
def test_malformed_bootstrap_lists_are_refused(bootstrap: str) -> None:
    """Every entry of a comma-separated bootstrap list must be HOST:PORT."""
    with pytest.raises(InvalidCommand, match="invalid bootstrap address"):
        KafkaSettings(bootstrap=bootstrap).check()
