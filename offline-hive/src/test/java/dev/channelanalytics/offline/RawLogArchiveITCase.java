package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.testing.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archiving hours of {@code raw-logs} into Hive: every record lands in the hour of its timestamp,
 * also when timestamps and offsets disagree; hours archived out of order and again give the same
 * partitions; nothing is archived twice.
 */
class RawLogArchiveITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @TempDir Path dir;

  @Test
  void everyRecordIsArchivedOnceInTheHourOfItsTimestampWhateverTheOrderOfRuns() throws Exception {
    String topic = "raw-" + UUID.randomUUID().toString().substring(0, 8);
    KAFKA.kafka().createTopic(topic, 2);
    Instant h0 = Instant.parse("2026-11-20T10:00:00Z");
    long[] perHour = new long[3];
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
    Random random = new Random(3);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 900; i++) {
        // Mostly rising timestamps, with some up to ten minutes behind their neighbours.
        long t = h0.toEpochMilli() + i * 12_000L - (random.nextInt(10) == 0 ? 600_000L : 0);
        t = Math.max(t, h0.toEpochMilli());
        perHour[(int) ((t - h0.toEpochMilli()) / 3_600_000L)]++;
        producer.send(
            new ProducerRecord<>(
                topic, i % 2, t, null, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
      }
    }
    try (HiveWarehouse warehouse = HiveWarehouse.start(dir, WarehousePort.shared(), "local[2]")) {
      RawLogArchive archive = new RawLogArchive(warehouse.spark(), KAFKA.bootstrapServers(), topic);
      archive.createTables();
      assertThat(archive.archive(h0.plus(2, ChronoUnit.HOURS))).isEqualTo(perHour[2]);
      assertThat(archive.archive(h0)).isEqualTo(perHour[0]);
      assertThat(archive.archive(h0.plus(1, ChronoUnit.HOURS))).isEqualTo(perHour[1]);
      assertThat(archive.archive(h0.plus(1, ChronoUnit.HOURS))).as("again").isEqualTo(perHour[1]);

      var totals =
          warehouse
              .spark()
              .sql(
                  "SELECT count(*), count(DISTINCT kafka_partition, kafka_offset) FROM ods_raw_logs")
              .first();
      assertThat(totals.getLong(0)).isEqualTo(900);
      assertThat(totals.getLong(1)).isEqualTo(900);
      assertThat(
              warehouse
                  .spark()
                  .sql("SELECT sum(records) FROM ods_archive_ranges")
                  .first()
                  .getLong(0))
          .isEqualTo(900);
    }
  }
}
