package dev.channelanalytics.offline;

import dev.channelanalytics.common.kafka.ReliableProducer;
import dev.channelanalytics.common.kafka.ReplayHeaders;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Republishes the raw envelopes the offline archive holds for chosen archive hours ({@code
 * ods_raw_logs}) to {@code raw-logs}, for hours the real-time path lost (a consumer that skipped
 * them, input older than Kafka's retention, a store restored from before them). Safe to run twice:
 * a replayed envelope can only add first sightings that were missing (the first-seen rule). Every
 * record carries {@link ReplayHeaders}, naming the archived record it copies.
 */
final class ArchiveReplay {
  /** How many archived rows a fetch brings from HiveServer2. */
  private static final int FETCH = 1_000;

  private final OfflineSettings settings;
  private final WarehouseSession session;
  private final String replayId = "archive " + Instant.now();

  ArchiveReplay(OfflineSettings settings, WarehouseSession session) {
    this.settings = settings;
    this.session = session;
  }

  /**
   * Replays {@code hours} in order, a progress line per hour, and a summary; fails naming the first
   * record Kafka refused. An hour the archive does not hold is said to be empty.
   */
  long run(List<Instant> hours, PrintStream out) throws SQLException {
    // Rows reach this process a fetch at a time, not as one answer collected in the server.
    session.execute("SET spark.sql.thriftServer.incrementalCollect=true");
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long sent = 0;
    out.printf(
        "replaying %d archive hour(s) from %s to %s%n",
        hours.size(), hours.get(0), settings.rawTopic());
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      int done = 0;
      for (Instant start : hours) {
        long began = System.nanoTime();
        HourPartition hour = new HourPartition(start);
        long n =
            session.forEach(
                // base64: the Hive JDBC driver has no getBytes for a BINARY column.
                "SELECT kafka_partition, kafka_offset, base64(envelope) FROM ods_raw_logs WHERE "
                    + hour.predicate()
                    + " ORDER BY kafka_partition, kafka_offset",
                FETCH,
                row -> {
                  ProducerRecord<byte[], byte[]> r =
                      ReplayHeaders.replayed(
                          settings.rawTopic(),
                          envelope(row.getString(3)),
                          replayId,
                          settings.rawTopic() + "-" + row.getInt(1) + "@" + row.getLong(2));
                  producer.send(
                      r,
                      (meta, e) -> {
                        if (e == null) {
                          acked.incrementAndGet();
                        } else {
                          failure.compareAndSet(null, e);
                        }
                      });
                });
        producer.flush();
        sent += n;
        if (failure.get() != null) {
          throw new IllegalStateException(
              "Kafka refused a replayed envelope of " + start + ": " + failure.get().getMessage(),
              failure.get());
        }
        out.printf(
            "[%d/%d] %s: %,d envelope(s) republished%s  %.1f s%n",
            ++done,
            hours.size(),
            start,
            n,
            n == 0 ? " (the archive holds none for this hour)" : "",
            (System.nanoTime() - began) / 1e9);
      }
    }
    out.printf(
        "summary: %,d envelope(s) of %d hour(s) republished to %s%n",
        acked.get(), hours.size(), settings.rawTopic());
    if (acked.get() != sent) {
      throw new IllegalStateException(sent - acked.get() + " envelope(s) were not acknowledged");
    }
    return sent;
  }

  /** The archived value as it was; a record that had none is republished without one. */
  private static byte[] envelope(String base64) {
    return base64 == null ? null : java.util.Base64.getMimeDecoder().decode(base64);
  }

  private KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        ReliableProducer.properties(settings.kafka()),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }
}
