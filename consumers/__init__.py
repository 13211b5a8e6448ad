"""The Kafka relay (store → topics), the wire contract, and downstream consumers."""
