package dev.channelanalytics.offline;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Finds offset ranges by record timestamp ({@code offsetsForTimes}) without reading records: the
 * offline ETL plans each hour's archive with it before any HiveQL runs.
 */
final class KafkaOffsets implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final KafkaConsumer<byte[], byte[]> consumer;

  KafkaOffsets(String bootstrapServers) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "channel-offline-planner");
    this.consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  List<TopicPartition> partitions(String topic) {
    var infos = consumer.partitionsFor(topic, TIMEOUT);
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " does not exist");
    }
    return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
  }

  /** The offset after the last committed record, per partition. */
  TreeMap<Integer, Long> endOffsets(String topic) {
    TreeMap<Integer, Long> out = new TreeMap<>();
    consumer.endOffsets(partitions(topic), TIMEOUT).forEach((tp, o) -> out.put(tp.partition(), o));
    return out;
  }

  /** The range of {@code topic} that belongs to the hour starting at {@code hour}. */
  ArchiveRange hourRange(String topic, Instant hour) {
    Instant start = hour.truncatedTo(ChronoUnit.HOURS);
    Instant end = start.plus(1, ChronoUnit.HOURS);
    List<TopicPartition> partitions = partitions(topic);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
    Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions, TIMEOUT);
    Map<TopicPartition, OffsetAndTimestamp> fromOffsets = offsetsAt(partitions, start);
    Map<TopicPartition, OffsetAndTimestamp> untilOffsets = offsetsAt(partitions, end);
    TreeMap<Integer, Long> from = new TreeMap<>();
    TreeMap<Integer, Long> until = new TreeMap<>();
    TreeMap<Integer, Boolean> sealed = new TreeMap<>();
    TreeMap<Integer, Long> logStart = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      long endOffset = ends.get(tp);
      OffsetAndTimestamp f = fromOffsets.get(tp);
      OffsetAndTimestamp u = untilOffsets.get(tp);
      from.put(tp.partition(), f == null ? endOffset : f.offset());
      until.put(tp.partition(), u == null ? endOffset : u.offset());
      sealed.put(tp.partition(), u != null);
      logStart.put(tp.partition(), starts.get(tp));
    }
    return new ArchiveRange(start, from, until, sealed, logStart);
  }

  /** Whether retention has deleted records of some partition (its log no longer starts at 0). */
  boolean trimmed(String topic) {
    return consumer.beginningOffsets(partitions(topic), TIMEOUT).values().stream()
        .anyMatch(o -> o > 0);
  }

  /** The hour of the oldest stamp among the first records of the partitions, if any. */
  Optional<Instant> firstHour(String topic) {
    List<TopicPartition> partitions = partitions(topic);
    Map<TopicPartition, OffsetAndTimestamp> first = offsetsAt(partitions, Instant.EPOCH);
    return first.values().stream()
        .filter(o -> o != null)
        .map(o -> Instant.ofEpochMilli(o.timestamp()).truncatedTo(ChronoUnit.HOURS))
        .min(Instant::compareTo);
  }

  private Map<TopicPartition, OffsetAndTimestamp> offsetsAt(
      List<TopicPartition> partitions, Instant at) {
    Map<TopicPartition, Long> query = new HashMap<>();
    partitions.forEach(tp -> query.put(tp, at.toEpochMilli()));
    return consumer.offsetsForTimes(query, TIMEOUT);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
