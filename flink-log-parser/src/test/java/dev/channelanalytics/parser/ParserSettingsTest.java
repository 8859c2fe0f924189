package dev.channelanalytics.parser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.testing.TestKeyring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parser's fault-tolerance settings: what they allow, what they refuse, and why. */
class ParserSettingsTest {
  @TempDir Path dir;

  private ChannelConfig config(String... keyValues) {
    ChannelConfig config =
        ChannelConfig.load(null, dir, Map.of(), new Properties())
            .with(Setting.KEYRING_FILE, TestKeyring.write(dir, "k1").file().toString());
    for (int i = 0; i < keyValues.length; i += 2) {
      config = config.with(Setting.valueOf(keyValues[i]), keyValues[i + 1]);
    }
    return config;
  }

  /**
   * With a keyring file, the operators Flink serializes into the job graph (and ships through its
   * blob server) carry the file's path, never a key: each worker reads the file when it opens.
   */
  @Test
  void withAKeyringFileNoKeyTravelsInTheJobGraph() throws Exception {
    ChannelConfig config = config();
    ParserSettings settings = ParserSettings.from(config);
    assertThat(settings.keyring().inline()).isFalse();
    String json = java.nio.file.Files.readString(config.path(Setting.KEYRING_FILE));
    String key = json.substring(json.indexOf(":\"") + 2, json.lastIndexOf('"'));
    byte[] raw = java.util.Base64.getDecoder().decode(key);
    for (Object operator :
        java.util.List.of(
            new dev.channelanalytics.parser.functions.EnvelopeParser(settings.keyring()),
            new dev.channelanalytics.parser.functions.UnmappedBatchHold(
                settings.keyring(), 1_000, 1 << 20))) {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
        out.writeObject(operator);
      }
      byte[] shipped = bytes.toByteArray();
      String text = new String(shipped, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain(key);
      assertThat(indexOf(shipped, raw)).as("the raw key in the serialized operator").isEqualTo(-1);
      assertThat(text).contains(config.path(Setting.KEYRING_FILE).getFileName().toString());
    }
    assertThat(settings.keyring().load().keyIds()).containsExactly("k1");
    // An inline keyring has nowhere else to come from: it travels with the job.
    assertThat(ParserSettings.from(config.with(Setting.KEYRING_JSON, json)).keyring().inline())
        .isTrue();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The sinks' linger: 50 ms unless set, and refused beyond a second or below zero. */
  @Test
  void theSinksLingerIsFiftyMillisecondsAndRefusedOutsideZeroToOneSecond() {
    assertThat(ParserSettings.from(config()).sinkLinger()).isEqualTo(Duration.ofMillis(50));
    assertThat(ParserSettings.from(config("PARSER_SINK_LINGER", "PT0S")).sinkLinger()).isZero();
    for (String bad : List.of("PT2S", "PT-0.01S")) {
      assertThatThrownBy(() -> ParserSettings.from(config("PARSER_SINK_LINGER", bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("parser.sink-linger");
    }
  }

  @Test
  void theDefaultsRestartAtARateToleratingFailedCheckpointsWithinTheBrokersMaximum() {
    ParserSettings settings = ParserSettings.from(config());
    Configuration conf = LogParserJob.engineConfiguration(settings);
    assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("failure-rate");
    assertThat(
            conf.get(
                RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL))
        .isEqualTo(10);
    assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_FAILURE_RATE_INTERVAL))
        .isEqualTo(Duration.ofMinutes(10));
    assertThat(conf.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER)).isEqualTo(3);
    assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
        .isEqualTo(Duration.ofMinutes(1));
    // 4 x (1 s + 1 min) + 5 s + 5 min: well inside the 15 minutes a default broker allows.
    assertThat(
            ParserSettings.longestTransaction(
                settings.checkpointInterval(),
                settings.checkpointTimeout(),
                settings.tolerableFailedCheckpoints(),
                settings.restartDelay()))
        .isEqualTo(Duration.ofSeconds(549))
        .isLessThan(settings.transactionTimeout());
  }

  @Test
  void aTransactionTimeoutTheBrokerRefusesIsAConfigurationError() {
    assertThatThrownBy(() -> ParserSettings.from(config("PARSER_TRANSACTION_TIMEOUT", "PT16M")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.max-transaction-timeout");
    assertThat(
            ParserSettings.from(
                    config(
                        "PARSER_TRANSACTION_TIMEOUT", "PT168H",
                        "KAFKA_MAX_TRANSACTION_TIMEOUT", "PT168H"))
                .transactionTimeout())
        .isEqualTo(Duration.ofDays(7));
  }

  @Test
  void settingsThatLetATransactionOutliveItsTimeoutAreRefusedNamingTheKeys() {
    assertThatThrownBy(
            () ->
                ParserSettings.from(
                    config(
                        "PARSER_TOLERABLE_FAILED_CHECKPOINTS", "10",
                        "PARSER_CHECKPOINT_TIMEOUT", "PT2M")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("parser.transaction-timeout (PT15M) must be longer")
        .hasMessageContaining("parser.tolerable-failed-checkpoints")
        .hasMessageContaining("parser.checkpoint-timeout");
    assertThatThrownBy(() -> ParserSettings.from(config("PARSER_RESTART_FAILURES", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("parser.restart-failures");
  }

  @Test
  void resumingFromACheckpointOlderThanTheTransactionTimeoutIsSaidWithItsRepair() throws Exception {
    Path checkpoint = Files.createDirectories(dir.resolve("run/chk-7"));
    Instant written = Instant.parse("2026-12-01T10:00:00Z");
    Files.setLastModifiedTime(checkpoint, FileTime.from(written));
    Duration timeout = Duration.ofMinutes(15);
    assertThat(
            LogParserJob.staleResumeWarning(
                checkpoint, timeout, written.plus(Duration.ofMinutes(14))))
        .isEmpty();
    assertThat(
            LogParserJob.staleResumeWarning(checkpoint, timeout, written.plus(Duration.ofHours(2))))
        .hasValueSatisfying(
            w ->
                assertThat(w)
                    .contains("written PT2H ago (2026-12-01T10:00:00Z)")
                    .contains("parser.transaction-timeout (PT15M)")
                    .contains("channel calibrate"));
  }
}
