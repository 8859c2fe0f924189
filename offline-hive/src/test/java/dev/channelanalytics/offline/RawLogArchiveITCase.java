package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.testing.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archiving hours of {@code raw-logs} into Hive: each hour holds exactly the offsets from the first
 * record stamped in it to the first stamped in a later hour, so every record is archived once even
 * when timestamps and offsets disagree; hours archived out of order and again give the same
 * partitions.
 */
class RawLogArchiveITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
  @RegisterExtension static final HiveExtension HIVE = new HiveExtension();

  @TempDir Path dir;

  @Test
  void everyRecordIsArchivedOnceInTheRangeOfItsHourWhateverTheOrderOfRuns() throws Exception {
    String topic = "raw-" + UUID.randomUUID().toString().substring(0, 8);
    String config = "config-" + UUID.randomUUID().toString().substring(0, 8);
    KAFKA.kafka().createTopic(topic, 2);
    KAFKA.kafka().createTopic(config, 1);
    // Three hours that ended recently: well inside the broker's retention, whatever the date.
    Instant h0 = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(4, ChronoUnit.HOURS);
    List<List<Long>> stamps = List.of(new ArrayList<>(), new ArrayList<>());
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
    Random random = new Random(3);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 900; i++) {
        // Mostly rising timestamps, a tenth up to 40 minutes behind their neighbours.
        long t = h0.toEpochMilli() + i * 12_000L - (random.nextInt(10) == 0 ? 2_400_000L : 0);
        t = Math.max(t, h0.toEpochMilli());
        stamps.get(i % 2).add(t);
        producer.send(
            new ProducerRecord<>(
                topic, i % 2, t, null, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
      }
    }
    Path keyring = dir.resolve("keyring.json");
    Files.writeString(
        keyring, "{\"k1\":\"" + java.util.Base64.getEncoder().encodeToString(new byte[32]) + "\"}");
    try (OfflineEtl etl =
        OfflineEtl.connect(
            HIVE.settings(KAFKA.bootstrapServers(), topic, config, keyring, ZoneOffset.UTC))) {
      List<Instant> hours = List.of(h0, h0.plus(1, ChronoUnit.HOURS), h0.plus(2, ChronoUnit.HOURS));
      var first = etl.run(List.of(hours.get(2), hours.get(0)), RunProgress.SILENT);
      var second = etl.run(List.of(hours.get(1), hours.get(1)), RunProgress.SILENT);
      var third = etl.run(List.of(hours.get(0)), RunProgress.SILENT);
      assertThat(first.get(0).records()).isEqualTo(expectedRecords(stamps, hours.get(0)));
      assertThat(first.get(0).sealed()).isTrue();
      assertThat(first.get(1).records()).isEqualTo(expectedRecords(stamps, hours.get(2)));
      assertThat(first.get(1).sealed()).as("no record of a later hour yet").isFalse();
      assertThat(second).hasSize(1);
      assertThat(second.get(0).records()).isEqualTo(expectedRecords(stamps, hours.get(1)));
      assertThat(third.get(0).rearchived()).as("a sealed hour is not read again").isFalse();
      assertThat(third.get(0).records()).isEqualTo(first.get(0).records());
      // Every envelope is rejected (none is a valid envelope), once.
      assertThat(third.get(0).rejects()).isEqualTo(third.get(0).records());

      assertThat(
              HIVE.sql(
                  "SELECT count(*), count(DISTINCT kafka_partition, kafka_offset),"
                      + " (SELECT sum(until_offset - from_offset) FROM ods_archive_ranges)"
                      + " FROM ods_raw_logs"))
          .containsExactly(List.of(900L, 900L, 900L));

      // Retention: the first 50 records of an hour are deleted before it was ever archived.
      String retained = "retained-" + UUID.randomUUID().toString().substring(0, 8);
      KAFKA.kafka().createTopic(retained, 1);
      Instant a = h0.minus(3, ChronoUnit.HOURS);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < 200; i++) {
          producer.send(
              new ProducerRecord<>(
                  retained, 0, a.toEpochMilli() + i * 36_000L, null, new byte[] {'{', '}'}));
        }
      }
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
        admin
            .deleteRecords(
                Map.of(new TopicPartition(retained, 0), RecordsToDelete.beforeOffset(50)))
            .all()
            .get();
      }
      OfflineSettings retainedSettings =
          HIVE.settings(KAFKA.bootstrapServers(), retained, config, keyring, ZoneOffset.UTC);
      // The schedule told to start at the hour retention cut: without the books it stays due.
      OfflineSettings fromA =
          new OfflineSettings(
              retainedSettings.jdbcUrl(),
              retainedSettings.login(),
              retainedSettings.kafka(),
              retainedSettings.rawTopic(),
              retainedSettings.configTopic(),
              retainedSettings.keyringFile(),
              retainedSettings.hold(),
              retainedSettings.zone(),
              retainedSettings.settle(),
              java.util.Optional.of(a));
      try (OfflineEtl afterRetention = OfflineEtl.connect(fromA)) {
        List<String> lost = new java.util.ArrayList<>();
        RunProgress hearing =
            new RunProgress() {
              @Override
              public void hourDone(int done, int total, HourResult result, Duration took) {}

              @Override
              public void hourFailed(int done, int total, Instant hour, Exception cause) {
                lost.add("FAILED " + hour);
              }

              @Override
              public void published(long users, long rows, String how, Duration took) {}

              @Override
              public void hourLost(int done, int total, Instant hour, String why) {
                lost.add(hour + ": " + why);
              }
            };
        // Lost, not failed: the run ends normally, the hour is recorded once and is not due.
        assertThat(afterRetention.run(List.of(a), hearing)).isEmpty();
        assertThat(lost)
            .singleElement()
            .asString()
            .contains("hour " + a + " cannot be archived complete")
            .contains("retention");
        assertThat(afterRetention.dueHours(Instant.now()))
            .doesNotContain(a)
            .contains(a.plus(1, ChronoUnit.HOURS));
        assertThat(afterRetention.run(List.of(a), hearing)).isEmpty();
        assertThat(
                HIVE.sql(
                    "SELECT count(*) FROM etl_lost_hours WHERE hour_start = " + a.toEpochMilli()))
            .as("recorded once however often it is asked for")
            .containsExactly(List.of(1L));
        var later = afterRetention.run(List.of(a.plus(1, ChronoUnit.HOURS)), RunProgress.SILENT);
        assertThat(later.get(0).records()).as("an hour after the deleted records").isEqualTo(100);
      }
    }
  }

  /** Per partition, the records from the first stamped in the hour to the first stamped after. */
  private static long expectedRecords(List<List<Long>> stamps, Instant hour) {
    long start = hour.toEpochMilli();
    long end = start + 3_600_000L;
    long n = 0;
    for (List<Long> partition : stamps) {
      n += firstAtOrAfter(partition, end) - firstAtOrAfter(partition, start);
    }
    return n;
  }

  private static int firstAtOrAfter(List<Long> partition, long t) {
    for (int i = 0; i < partition.size(); i++) {
      if (partition.get(i) >= t) {
        return i;
      }
    }
    return partition.size();
  }
}
