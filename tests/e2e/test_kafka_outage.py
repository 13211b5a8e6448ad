"""A broker away for 30 seconds: the ledger keeps recording, the relay backs off and catches up.

The relay is the console script (``ledger relay run``, log level INFO): every line it writes
to stderr during the outage, kafka-python's included, is one JSON object, and no traceback.
Uses its OWN broker (a copy of deploy/kafka on free ports), never the shared one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumers.topics import KafkaSettings
from ledger.adapters.follower import Db
from ledger.adapters.store import StoreTarget, iter_notifications
from ledger.application import Ledger
from tests.builders import admit, open_option
from tests.conftest import make_ledger, require_service
from tests.kafka_support import fresh_settings, read_all

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
FILES = ("kafka.sh", "check.py", "log4j2.properties", "pom.xml", "server.properties")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A private single-node broker run from a copy of deploy/kafka."""

    def __init__(self, home: Path) -> None:
        self.home = home
        for name in FILES:
            shutil.copy2(DEPLOY / name, home / name)
        cache = DEPLOY / ".state"
        (home / ".state").mkdir()
        for name in ("classpath.txt", "classpath.pom.sha256"):  # skip a Maven resolution
            if (cache / name).exists():
                shutil.copy2(cache / name, home / ".state" / name)
        self.env = {
            **os.environ,
            "KAFKA_PORT": str(free_port()),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "PYTHON": sys.executable,
        }
        self.bootstrap = f"127.0.0.1:{self.env['KAFKA_PORT']}"

    def start_async(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["bash", str(self.home / "kafka.sh"), "start"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def script(self, verb: str) -> None:
        done = subprocess.run(
            ["bash", str(self.home / "kafka.sh"), verb],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def private_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    require_service("LEDGER_TEST_KAFKA", "Kafka")  # same prerequisites (java, jars) as the shared one
    broker = Broker(tmp_path_factory.mktemp("broker"))
    broker.script("start")
    yield broker
    broker.script("reset")


def wait_until(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


LEDGER = str(Path(sys.executable).parent / "ledger")


def start_relay(location: str, settings: KafkaSettings) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LEDGER_KAFKA": settings.bootstrap,
        "LEDGER_TOPIC_PREFIX": settings.prefix,
        "LEDGER_ORIGIN": "test",
    }
    return subprocess.Popen(
        [LEDGER, "--log-level", "INFO", "relay", "run", "--db", location, "--batch", "50", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def json_lines(stderr: str) -> list[dict[str, object]]:
    """Every stderr line as JSON (fails on the first line that is not one JSON object)."""
    lines = []
    for line in stderr.splitlines():
        assert line.startswith("{"), f"not a JSON log line: {line!r}"
        lines.append(json.loads(line))
    return lines


def relay_position(db: Db, prefix: str) -> int:
    try:
        row = db.execute(
            "SELECT position FROM follower_position WHERE name = ?", (f"kafka_relay:{prefix}",)
        ).fetchone()
    except Exception:  # the relay thread has not created its table yet
        return 0
    return int(row[0]) if row else 0


def test_everything_recorded_during_a_30s_outage_arrives_after(
    private_broker: Broker, tmp_path: Path
) -> None:
    """Decisions recorded while the broker is down are all published once it returns."""
    location = str(tmp_path / "ledger.db")
    ledger: Ledger = make_ledger(location)
    open_option(ledger)
    for _ in range(10):
        admit(ledger)
    settings = fresh_settings(private_broker.bootstrap, "o", track=False)  # the broker is thrown away
    relay = start_relay(location, settings)
    head = ledger.store.recorder.max_notification_id
    position = Db(StoreTarget.parse(location))
    assert wait_until(lambda: relay_position(position, settings.prefix) == head(), 30)

    t0 = time.monotonic()
    private_broker.script("stop")
    print(f"broker stop took {time.monotonic() - t0:.1f}s")
    t0 = time.monotonic()
    recorded_during_outage = 0
    restart: subprocess.Popen[str] | None = None
    while restart is None or restart.poll() is None or time.monotonic() - t0 < 30:
        admit(ledger)  # the ledger keeps accepting decisions
        recorded_during_outage += 1
        time.sleep(1.0)
        if restart is None and time.monotonic() - t0 >= 30:
            assert relay_position(position, settings.prefix) < head()
            # Restarted only now: the broker is away for 30 s plus its start-up, longer than the
            # relay's delivery timeout (30 s), so the relay must have reported it unavailable
            # (a quiet machine starts a broker in a few seconds: an earlier restart hid that).
            restart = private_broker.start_async()
    outage = time.monotonic() - t0
    assert restart.returncode == 0, restart.stderr.read() if restart.stderr else ""
    print(
        f"broker away for {outage:.1f}s; relay position {relay_position(position, settings.prefix)}"
        f" of {head()}"
    )
    assert outage >= 30
    t0 = time.monotonic()
    assert wait_until(lambda: relay_position(position, settings.prefix) == head(), 90)
    print(f"relay caught up {time.monotonic() - t0:.1f}s after the broker returned")
    relay.send_signal(signal.SIGTERM)
    out, err = relay.communicate(timeout=60)
    assert relay.returncode == 0, err[-2000:]
    position.close()
    logs = json_lines(err)
    assert "Traceback" not in err
    events = {str(line["event"]) for line in logs}
    assert {"relay.started", "relay.broker_unavailable", "relay.stopped"} <= events
    assert any(str(line.get("logger", "")).startswith("kafka") for line in logs)  # kafka-python's own
    assert json.loads(out)["lag"] == 0
    stored = {f"{n.originator_id}/{n.originator_version}" for n in iter_notifications(ledger.store)}
    assert recorded_during_outage >= 25 and len(stored) == 11 + recorded_during_outage
    records = read_all(settings, len(stored))
    assert {dict(r.headers)["ce_id"].decode() for r in records} == stored
    ledger.store.close()
