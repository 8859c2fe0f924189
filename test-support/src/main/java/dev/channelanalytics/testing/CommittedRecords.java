package dev.channelanalytics.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads topics from the beginning as a downstream stage would, {@code read_committed}, and keeps
 * every record, so tests can wait for an expected state and then check that nothing else arrives.
 */
public final class CommittedRecords implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();

  public CommittedRecords(String bootstrapServers, String... topics) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
    p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(topics));
  }

  /** Every record read so far, in the order read. */
  public List<ConsumerRecord<byte[], byte[]>> records() {
    return records;
  }

  /** Reads until {@code done} holds for the records read so far; fails after {@code timeout}. */
  public List<ConsumerRecord<byte[], byte[]>> awaitUntil(
      String what, Duration timeout, Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(records)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout + " waiting for " + what + "; read " + records.size());
      }
      poll(Duration.ofMillis(200));
    }
    return records;
  }

  /** Keeps reading for {@code period}: what a later check sees arrives in it. */
  public List<ConsumerRecord<byte[], byte[]>> readFor(Duration period) {
    long end = System.nanoTime() + period.toNanos();
    while (System.nanoTime() < end) {
      poll(Duration.ofMillis(200));
    }
    return records;
  }

  private void poll(Duration timeout) {
    consumer.poll(timeout).forEach(records::add);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
