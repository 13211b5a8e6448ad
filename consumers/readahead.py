"""Read-ahead for the relay: the log is read and mapped to records in a second process.

Reading the store and mapping each event through the wire contract (JSON decoding, upcasting,
the message model's validation and serialisation) costs about as much per event as
kafka-python's ``send``; both are CPU-bound Python. A catch-up far behind the head
(:data:`MIN_LAG` events or more) therefore reads ahead in a child process
(``python -m consumers.readahead``): it reads batch after batch with the store's own API,
builds every Kafka record, and hands each batch over through a pipe while this process
sends the previous one. The child has no state and writes nothing: positions are recorded
only here. It ends when the parent does (its next write fails) or at the end of the range.
"""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import structlog

from consumers.errors import ContractError
from consumers.topics import KafkaSettings
from ledger.adapters.store import StoreTarget

log = structlog.get_logger("consumers.readahead")

MIN_LAG = 10_000
"""Events behind the head from which a catch-up reads ahead (starting the child costs ~0.5 s)."""

COLLECT_EVERY = 5_000
"""Events built between two garbage collections in the child (a full collection costs ~0.1 s)."""
MIN_BATCH = 1_000
"""Events per frame at least (pickling and the pipe cost per frame, not per event)."""

Built = tuple[int, str, bytes, bytes, list[tuple[str, bytes]]]
"""One record and its notification id: (id, topic, key, value, headers)."""


def build_batches(
    target: StoreTarget, settings: KafkaSettings, start: int, until: int, size: int
) -> Iterator[list[Built]]:
    """Batches of records for notifications ``start`` to ``until``, read from the store."""
    from consumers.records import RecordBuilder
    from ledger.adapters.store import open_store

    store = open_store(target)
    builder = RecordBuilder(None, settings)
    since_collect = 0
    try:
        while start <= until:
            batch = store.recorder.select_notifications(start, min(size, until - start + 1))
            if not batch:
                return
            built = []
            for n in batch:
                r = builder.build(n)
                built.append((n.id, r.topic, r.key, r.value, r.headers))
            yield built
            start = batch[-1].id + 1
            since_collect += len(batch)
            del batch
            if since_collect >= COLLECT_EVERY:  # the collector is off (see ``child_main``)
                gc.collect()
                since_collect = 0
    finally:
        store.close()


def child_main() -> int:
    """The child: arguments on stdin, frames on stdout (the pipe is the queue)."""
    from ledger import logs

    logs.configure("WARNING")
    gc.disable()
    target, settings, start, until, size = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    try:
        for batch in build_batches(target, settings, start, until, size):
            _write(out, ("batch", batch))
        _write(out, ("end", None))
    except BrokenPipeError:
        return 0
    except Exception as exc:  # reported to the parent, which raises it
        _write(out, ("error", (type(exc).__name__, str(exc))))
        return 1
    return 0


def _write(out: Any, frame: tuple[str, Any]) -> None:
    data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "big"))
    out.write(data)
    out.flush()


class RelayReadAhead:
    """Batches of built records for notifications ``start`` to ``until``, from a child process."""

    def __init__(
        self, target: StoreTarget, settings: KafkaSettings, start: int, until: int, size: int
    ) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "consumers.readahead"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdout = self.process.stdout
        pickle.dump((target, settings, start, until, max(size, MIN_BATCH)), self.process.stdin)
        self.process.stdin.close()
        log.info("relay.read_ahead.started", start=start, until=until, batch=size)

    def __iter__(self) -> Iterator[list[Built]]:
        """Each batch in order; raises what the child raised (ContractError stays one)."""
        while True:
            header = self.stdout.read(8)
            if len(header) < 8:
                code = self.process.wait(timeout=30)
                raise RuntimeError(f"the relay read-ahead process ended early (exit code {code})")
            kind, payload = pickle.loads(self.stdout.read(int.from_bytes(header, "big")))
            if kind == "end":
                return
            if kind == "error":
                name, message = payload
                if name == "ContractError":
                    raise ContractError(message)
                raise RuntimeError(f"the relay read-ahead process failed: {name}: {message}")
            yield payload

    def close(self) -> None:
        """Stop the child (if it is still reading) and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
        self.stdout.close()
        self.process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(child_main())
