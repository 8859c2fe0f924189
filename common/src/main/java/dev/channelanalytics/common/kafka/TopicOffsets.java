package dev.channelanalytics.common.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Offsets of topics and consumer groups, read through one Kafka admin client without reading a
 * record: end offsets as a read_committed consumer sees them, log starts, offsets by record
 * timestamp, a group's committed offsets, and the lag between the two. The one place the local
 * stack's {@code channel status}, the sharder's progress, the offline planner and the benchmarks
 * read offsets.
 *
 * <p>It lives in {@code common}, which every one of those users has, with kafka-clients {@code
 * provided} there: each user brings kafka-clients itself (the parser, the sharder, offline-hive,
 * the local stack and, through it, the CLI and the benchmarks), so nothing new reaches the parser's
 * job jar or the Hive UDTF jar, which carry {@code common}; this class is in them, unused. The
 * local stack was no place for it (production jobs must not depend on it), and a module of its own
 * for one class would be one more jar in every job for nothing.
 *
 * <p>End offsets are read_committed: a transactional topic ends each transaction with a marker at
 * an offset no record has, which such a consumer's position passes; the plain end offset would show
 * a lag of one for ever behind a finished transaction.
 */
public final class TopicOffsets implements AutoCloseable {
  /** A record's offset and its timestamp (its producer's, or the broker's with LogAppendTime). */
  public record Stamped(long offset, Instant timestamp) {}

  private static final ListOffsetsOptions READ_COMMITTED =
      new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);

  private final Admin admin;
  private final Duration timeout;

  /**
   * A client of the brokers at {@code bootstrapServers}; every call waits at most {@code timeout}.
   */
  public TopicOffsets(String bootstrapServers, Duration timeout) {
    this(KafkaConnection.plaintext(bootstrapServers), timeout);
  }

  /** A client of the brokers of {@code kafka}; every call waits at most {@code timeout}. */
  public TopicOffsets(KafkaConnection kafka, Duration timeout) {
    Properties p = kafka.properties();
    long millis = Math.max(1, timeout.toMillis());
    p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(millis));
    p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(millis));
    this.admin = Admin.create(p);
    this.timeout = timeout;
  }

  /** The partitions of {@code topic}; fails when the topic does not exist. */
  public List<TopicPartition> partitions(String topic) {
    try {
      return await(admin.describeTopics(List.of(topic)).allTopicNames())
          .get(topic)
          .partitions()
          .stream()
          .map(p -> new TopicPartition(topic, p.partition()))
          .toList();
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new IllegalStateException("topic " + topic + " does not exist", e.getCause());
      }
      throw e;
    }
  }

  /** The offset after the last committed record, per partition (the last stable offset). */
  public Map<TopicPartition, Long> ends(Collection<TopicPartition> partitions) {
    return offsets(partitions, tp -> OffsetSpec.latest());
  }

  /** {@link #ends(Collection)} of every partition of {@code topic}. */
  public Map<TopicPartition, Long> ends(String topic) {
    return ends(partitions(topic));
  }

  /** The first offset retention left, per partition of {@code topic} (0 while nothing is gone). */
  public Map<TopicPartition, Long> starts(String topic) {
    return offsets(partitions(topic), tp -> OffsetSpec.earliest());
  }

  /**
   * Per partition of {@code partitions}, the first record stamped at or after {@code at}; a
   * partition without one is absent.
   */
  public Map<TopicPartition, Stamped> firstAtOrAfter(
      Collection<TopicPartition> partitions, Instant at) {
    Map<TopicPartition, Stamped> out = new HashMap<>();
    listOffsets(partitions, tp -> OffsetSpec.forTimestamp(at.toEpochMilli()))
        .forEach(
            (tp, info) -> {
              if (info.offset() >= 0) {
                out.put(tp, new Stamped(info.offset(), Instant.ofEpochMilli(info.timestamp())));
              }
            });
    return out;
  }

  /** The offsets {@code group} committed; a partition it never committed is absent. */
  public Map<TopicPartition, Long> committed(String group) {
    Map<TopicPartition, Long> out = new HashMap<>();
    await(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata())
        .forEach(
            (tp, o) -> {
              if (o != null) {
                out.put(tp, o.offset());
              }
            });
    return out;
  }

  /** Commits {@code offsets} for {@code group}, as its consumers would. */
  public void commit(String group, Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    offsets.forEach((tp, o) -> commit.put(tp, new OffsetAndMetadata(o)));
    await(admin.alterConsumerGroupOffsets(group, commit).all());
  }

  /**
   * The records of {@code topic} that {@code group} has not committed yet, over all partitions; a
   * partition the group never committed counts from 0.
   */
  public long lag(String group, String topic) {
    return lag(ends(topic), committed(group));
  }

  /**
   * The sum over {@code ends} of each end minus the committed offset of its partition (0 when
   * none); never negative.
   */
  public static long lag(Map<TopicPartition, Long> ends, Map<TopicPartition, Long> committed) {
    long lag = 0;
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      lag += Math.max(0, e.getValue() - committed.getOrDefault(e.getKey(), 0L));
    }
    return lag;
  }

  private Map<TopicPartition, Long> offsets(
      Collection<TopicPartition> partitions, Function<TopicPartition, OffsetSpec> spec) {
    Map<TopicPartition, Long> out = new HashMap<>();
    listOffsets(partitions, spec).forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  private Map<TopicPartition, ListOffsetsResultInfo> listOffsets(
      Collection<TopicPartition> partitions, Function<TopicPartition, OffsetSpec> spec) {
    if (partitions.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, OffsetSpec> query = new HashMap<>();
    partitions.forEach(tp -> query.put(tp, spec.apply(tp)));
    return await(admin.listOffsets(query, READ_COMMITTED).all());
  }

  private <T> T await(KafkaFuture<T> future) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading Kafka offsets", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("reading Kafka offsets: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not answer within " + timeout, e);
    }
  }

  /** Safe to call twice. */
  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
