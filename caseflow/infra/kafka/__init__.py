"""Kafka adapters: the producer wrapper, the relay (log → topic) and the analytics consumer."""

from caseflow.infra.kafka.envelope import Record, from_record, to_record
from caseflow.infra.kafka.producer import DeliveryFailed, Producer, ProducerConfig
from caseflow.infra.kafka.relay import KafkaRelay

__all__ = [
    "DeliveryFailed",
    "KafkaRelay",
    "Producer",
    "ProducerConfig",
    "Record",
    "from_record",
    "to_record",
]
