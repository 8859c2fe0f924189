package dev.channelanalytics.common.records;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where a record came from in Kafka: every parsed batch and dead letter carries the coordinates of
 * its {@code raw-logs} record, so any output can be traced back and duplicates can be told apart.
 *
 * @param topic the source topic
 * @param partition the source partition
 * @param offset the source offset
 * @param timestamp the source record's timestamp, epoch milliseconds
 */
public record RecordOrigin(String topic, int partition, long offset, long timestamp)
    implements Serializable {
  public RecordOrigin {
    Objects.requireNonNull(topic, "topic");
  }

  @Override
  public String toString() {
    return topic + "-" + partition + "@" + offset;
  }
}
