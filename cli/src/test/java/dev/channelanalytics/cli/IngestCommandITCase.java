package dev.channelanalytics.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.testing.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code channel ingest} and {@code channel simulate} against a real broker. */
class IngestCommandITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @TempDir Path dir;
  private Path configFile;
  private String rawTopic;
  private String configTopic;

  @BeforeEach
  void setUp() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    rawTopic = "raw-" + suffix;
    configTopic = "config-" + suffix;
    KAFKA.kafka().createTopic(rawTopic, 2);
    KAFKA.kafka().createTopic(configTopic, 1, Map.of("cleanup.policy", "compact"));
    configFile =
        TestConfigFile.write(
            dir,
            "kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
            "topic.raw-logs=" + rawTopic,
            "topic.product-config=" + configTopic);
  }

  /**
   * Unpaced and paced: the paced run checks that --rate is wired in; PacerTest checks the pacing.
   */
  @ParameterizedTest
  @ValueSource(strings = {"", "--rate=20"})
  void rawFileIsPublishedLineByLineWithBytesUnchanged(String rate) throws Exception {
    List<String> lines = List.of("{\"v\":1,\"whatever\":\"é\"}", "not even json", "{\"v\":1}");
    Path file = dir.resolve("raw.ndjson");
    Files.writeString(file, String.join("\n", lines) + "\n\n");

    List<String> args =
        new ArrayList<>(List.of("--config", configFile.toString(), "ingest", "raw"));
    if (!rate.isEmpty()) {
      args.add(rate);
    }
    args.add(file.toString());
    int rc = ChannelCli.run(args.toArray(String[]::new));

    assertThat(rc).isZero();
    assertThat(consume(rawTopic, 3)).containsExactlyInAnyOrderElementsOf(lines);
  }

  @Test
  void mappingFileWithAnInvalidLinePublishesNothingAndNamesTheLine() throws Exception {
    Path file = dir.resolve("mappings.ndjson");
    Files.writeString(
        file, "{\"app_key\":\"ak_1\",\"product_id\":\"browser\"}\n{\"product_id\":\"video\"}\n");
    var err = new java.io.ByteArrayOutputStream();
    var oldErr = System.err;
    System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = ChannelCli.run("--config", configFile.toString(), "ingest", "config", file.toString());
    } finally {
      System.setErr(oldErr);
    }
    assertThat(rc).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("mappings.ndjson:2:");

    Files.writeString(
        file,
        "{\"app_key\":\"ak_1\",\"product_id\":\"browser\"}\n{\"app_key\":\"ak_2\",\"product_id\":null}\n");
    rc = ChannelCli.run("--config", configFile.toString(), "ingest", "config", file.toString());
    assertThat(rc).isZero();
    // The deletion travels as a tombstone (null value) keyed by its app key.
    assertThat(consume(configTopic, 2))
        .containsExactlyInAnyOrder("{\"app_key\":\"ak_1\",\"product_id\":\"browser\"}", null);
  }

  @Test
  void simulateSendsEveryEnvelopeAndItsMappings() throws Exception {
    Path expected = dir.resolve("expected.json");
    int rc =
        ChannelCli.run(
            "--config",
            configFile.toString(),
            "simulate",
            "--envelopes",
            "500",
            "--rate",
            "0",
            "--expected",
            expected.toString());
    assertThat(rc).isZero();
    assertThat(consume(rawTopic, 500)).hasSize(500);
    assertThat(Files.readString(expected)).contains("\"envelopes\" : 500");
  }

  private List<String> consume(String topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (seen.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          seen.add(r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8));
        }
      }
      // Anything beyond the expected count would be a duplicate: look once more.
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
        seen.add(r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8));
      }
    }
    return seen;
  }
}
