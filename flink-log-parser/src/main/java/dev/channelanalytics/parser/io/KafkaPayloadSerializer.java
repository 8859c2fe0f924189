package dev.channelanalytics.parser.io;

import dev.channelanalytics.parser.records.KafkaPayload;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes an already encoded payload to one topic; Kafka's partitioner hashes the key. */
public class KafkaPayloadSerializer implements KafkaRecordSerializationSchema<KafkaPayload> {
  private final String topic;

  public KafkaPayloadSerializer(String topic) {
    this.topic = topic;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      KafkaPayload payload, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(topic, null, timestamp, payload.key(), payload.value());
  }
}
