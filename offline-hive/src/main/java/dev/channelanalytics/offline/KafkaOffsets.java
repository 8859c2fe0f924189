package dev.channelanalytics.offline;

import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.kafka.TopicOffsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * The offline ETL's view of the input topics: each hour's offset ranges by record timestamp,
 * planned before any HiveQL runs, read through {@link TopicOffsets} without reading a record.
 */
final class KafkaOffsets implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final TopicOffsets offsets;

  KafkaOffsets(KafkaConnection kafka) {
    this.offsets = new TopicOffsets(kafka, TIMEOUT);
  }

  List<TopicPartition> partitions(String topic) {
    return offsets.partitions(topic);
  }

  /** The offset after the last committed record, per partition. */
  TreeMap<Integer, Long> endOffsets(String topic) {
    return byPartition(offsets.ends(topic));
  }

  /** The range of {@code topic} that belongs to the hour starting at {@code hour}. */
  ArchiveRange hourRange(String topic, Instant hour) {
    Instant start = hour.truncatedTo(ChronoUnit.HOURS);
    Instant end = start.plus(1, ChronoUnit.HOURS);
    List<TopicPartition> partitions = partitions(topic);
    Map<TopicPartition, Long> ends = offsets.ends(partitions);
    Map<TopicPartition, TopicOffsets.Stamped> fromOffsets =
        offsets.firstAtOrAfter(partitions, start);
    Map<TopicPartition, TopicOffsets.Stamped> untilOffsets =
        offsets.firstAtOrAfter(partitions, end);
    TreeMap<Integer, Long> from = new TreeMap<>();
    TreeMap<Integer, Long> until = new TreeMap<>();
    TreeMap<Integer, Boolean> sealed = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      long endOffset = ends.get(tp);
      TopicOffsets.Stamped f = fromOffsets.get(tp);
      TopicOffsets.Stamped u = untilOffsets.get(tp);
      from.put(tp.partition(), f == null ? endOffset : f.offset());
      until.put(tp.partition(), u == null ? endOffset : u.offset());
      sealed.put(tp.partition(), u != null);
    }
    return new ArchiveRange(start, from, until, sealed, byPartition(offsets.starts(topic)));
  }

  /** Whether retention has deleted records of some partition (its log no longer starts at 0). */
  boolean trimmed(String topic) {
    return offsets.starts(topic).values().stream().anyMatch(o -> o > 0);
  }

  /** The hour of the oldest stamp among the first records of the partitions, if any. */
  Optional<Instant> firstHour(String topic) {
    return offsets.firstAtOrAfter(partitions(topic), Instant.EPOCH).values().stream()
        .map(o -> o.timestamp().truncatedTo(ChronoUnit.HOURS))
        .min(Instant::compareTo);
  }

  private static TreeMap<Integer, Long> byPartition(Map<TopicPartition, Long> offsets) {
    TreeMap<Integer, Long> out = new TreeMap<>();
    offsets.forEach((tp, o) -> out.put(tp.partition(), o));
    return out;
  }

  @Override
  public void close() {
    offsets.close();
  }
}
