package dev.channelanalytics.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.kafka.ReplayHeaders;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.RecordOrigin;
import dev.channelanalytics.testing.KafkaExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code channel replay dead-letters} against a real broker, with dead letters of every kind it
 * must tell apart: matching or not (reason, arrival time), the same envelope twice, an original cut
 * in its dead letter (read back whole from raw-logs) and one whose original retention deleted, and
 * a record that is no dead letter at all.
 */
class DeadLetterReplayITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  private static final long T0 = Instant.parse("2026-11-23T10:00:00Z").toEpochMilli();

  @TempDir Path dir;
  private ChannelConfig config;
  private Path configFile;
  private String raw;
  private String dead;

  @BeforeEach
  void setUp() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    raw = "raw-" + suffix;
    dead = "dead-" + suffix;
    KAFKA.kafka().createTopic(raw, 2);
    KAFKA.kafka().createTopic(dead, 1);
    configFile =
        TestConfigFile.write(
            dir,
            "kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
            "topic.raw-logs=" + raw,
            "topic.dead-letters=" + dead);
    config = ChannelConfig.load(configFile, dir);
  }

  @Test
  void eachMatchingOriginalIsSentOnceWithReplayHeadersAndEverySkipIsSaidWithItsReason()
      throws Exception {
    byte[] big = new byte[200_000];
    Arrays.fill(big, (byte) 'x');
    RecordMetadata cutOriginal = send(raw, 0, big);
    RecordMetadata goneOriginal = send(raw, 1, "deleted by retention".getBytes());
    try (Admin admin = admin()) {
      admin
          .deleteRecords(
              Map.of(
                  new TopicPartition(raw, 1),
                  RecordsToDelete.beforeOffset(goneOriginal.offset() + 1)))
          .all()
          .get();
    }

    byte[] a = "{\"v\":1,\"kid\":\"k2\",\"a\":1}".getBytes(StandardCharsets.UTF_8);
    byte[] c = "not an envelope".getBytes(StandardCharsets.UTF_8);
    letter(RejectReason.UNKNOWN_KEY, 0, 10, T0 + 1_000, a, false);
    letter(RejectReason.UNKNOWN_KEY, 0, 11, T0 + 2_000, a, false); // the same envelope again
    letter(RejectReason.UNKNOWN_APP_KEY, 0, 12, T0 + 3_000, "b".getBytes(), false); // reason
    letter(RejectReason.BAD_ENVELOPE, 1, 13, T0 + 4_000, c, false);
    letter(RejectReason.UNKNOWN_KEY, 0, 14, T0 - 60_000, "before".getBytes(), false); // time
    letter(
        RejectReason.UNKNOWN_KEY,
        0,
        cutOriginal.offset(),
        T0 + 5_000,
        Arrays.copyOf(big, DeadLetter.PREFIX_BYTES),
        true);
    letter(
        RejectReason.UNKNOWN_KEY, 1, goneOriginal.offset(), T0 + 6_000, "deleted".getBytes(), true);
    send(dead, 0, "no dead letter".getBytes());

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    DeadLetterReplay.Summary s =
        new DeadLetterReplay(config, new PrintStream(printed, true, StandardCharsets.UTF_8), false)
            .run(
                new DeadLetterReplay.Filter(
                    Set.of(RejectReason.UNKNOWN_KEY, RejectReason.BAD_ENVELOPE),
                    Instant.ofEpochMilli(T0),
                    null));

    assertThat(s.read()).isEqualTo(8);
    assertThat(s.matched()).isEqualTo(5);
    assertThat(s.matchedByReason()).isEqualTo(Map.of("unknown_key", 4L, "bad_envelope", 1L));
    assertThat(s.republished()).isEqualTo(3);
    assertThat(s.skipped())
        .isEqualTo(
            Map.of(
                DeadLetterReplay.SKIP_DUPLICATE, 1L,
                DeadLetterReplay.SKIP_GONE, 1L,
                DeadLetterReplay.SKIP_UNREADABLE, 1L));
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("summary: 8 dead letter(s) read, 5 matched (1 bad_envelope, 4 unknown_key)")
        .contains("3 republished, 3 skipped")
        .contains(
            "1 original(s) are gone from "
                + raw
                + "; the offline archive has them if it archived their hours: channel replay"
                + " archive --from 2026-11-23T10:00:00Z --to 2026-11-23T11:00:00Z");

    List<ConsumerRecord<byte[], byte[]>> replayed = replayedRecords();
    assertThat(replayed).hasSize(3);
    assertThat(replayed.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)))
        .containsExactlyInAnyOrder(
            new String(a, StandardCharsets.UTF_8),
            new String(c, StandardCharsets.UTF_8),
            new String(big, StandardCharsets.UTF_8));
    for (ConsumerRecord<byte[], byte[]> r : replayed) {
      assertThat(header(r, ReplayHeaders.REPLAY)).startsWith("dead-letters ");
      assertThat(header(r, ReplayHeaders.REPLAY_OF)).startsWith(raw + "-");
    }
    assertThat(
            replayed.stream()
                .filter(r -> r.value().length == big.length)
                .map(r -> header(r, ReplayHeaders.REPLAY_OF)))
        .containsExactly(raw + "-0@" + cutOriginal.offset());

    // A dry run reads and counts the same, and sends nothing.
    DeadLetterReplay.Summary dry =
        new DeadLetterReplay(config, new PrintStream(new ByteArrayOutputStream()), true)
            .run(
                new DeadLetterReplay.Filter(
                    Set.of(RejectReason.UNKNOWN_KEY, RejectReason.BAD_ENVELOPE),
                    Instant.ofEpochMilli(T0),
                    null));
    assertThat(dry.republished()).isEqualTo(3);
    assertThat(replayedRecords()).as("nothing more sent").hasSize(3);
  }

  @Test
  void anUnknownReasonOrAMalformedTimeIsAUsageErrorBeforeAnythingIsRead() {
    String c = configFile.toString();
    assertThat(ChannelCli.run("--config", c, "replay", "dead-letters", "--reason", "bogus"))
        .isEqualTo(2);
    assertThat(ChannelCli.run("--config", c, "replay", "dead-letters", "--from", "yesterday"))
        .isEqualTo(2);
    assertThat(
            ChannelCli.run(
                "--config",
                c,
                "replay",
                "dead-letters",
                "--from",
                "2026-11-23T10:00:00Z",
                "--to",
                "2026-11-23T09:00:00Z"))
        .isEqualTo(2);
  }

  // ---------------------------------------------------------------------------------------------

  private void letter(
      RejectReason reason,
      int partition,
      long offset,
      long arrived,
      byte[] envelope,
      boolean truncated)
      throws Exception {
    DeadLetter d =
        new DeadLetter(
            reason,
            "test",
            new RecordOrigin(raw, partition, offset, arrived),
            envelope,
            null,
            0,
            List.of(),
            truncated);
    assertThat(DeadLetter.fromJson(d.toJson()).truncated()).isEqualTo(truncated);
    send(dead, 0, d.toJson());
  }

  private RecordMetadata send(String topic, int partition, byte[] value) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      return producer.send(new ProducerRecord<>(topic, partition, null, value)).get();
    }
  }

  private Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    return Admin.create(p);
  }

  /** Every record of raw-logs but the original read back (partition 0, offset 0). */
  private List<ConsumerRecord<byte[], byte[]>> replayedRecords() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(2 * 1024 * 1024));
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          List.of(new TopicPartition(raw, 0), new TopicPartition(raw, 1));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.partition() != 0 || r.offset() != 0) {
            out.add(r);
          }
        }
      }
    }
    return out;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
