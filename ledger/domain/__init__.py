"""The pure domain: aggregates, events, value objects, named rules and errors.

Imports only the standard library, pydantic and ``eventsourcing.domain``. No I/O, no clock:
the time a decision is recorded is given to the aggregates by the application.
"""
