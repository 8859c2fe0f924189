package dev.channelanalytics.parser.records;

import dev.channelanalytics.common.records.RecordOrigin;

/**
 * One {@code raw-logs} record as the parser receives it: the value untouched plus its Kafka
 * coordinates, which every output carries for tracing and duplicate detection.
 *
 * <p>A record with only simple fields, so Flink serializes it with its POJO serializer.
 */
public record RawEnvelope(String topic, int partition, long offset, long timestamp, byte[] value) {

  public RecordOrigin origin() {
    return new RecordOrigin(topic, partition, offset, timestamp);
  }
}
