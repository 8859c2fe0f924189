package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HiveQlScriptTest {
  @Test
  void everyScriptSplitsIntoStatementsWithItsVariablesSubstituted() {
    Map<String, String> vars =
        Map.ofEntries(
            Map.entry("dt", "2026-11-23"),
            Map.entry("hour", "10"),
            Map.entry("hour_start", "1795428000000"),
            Map.entry("sealed", "true"),
            Map.entry(
                "kafka_options",
                OfflineEtl.kafkaOptions(
                    dev.channelanalytics.common.kafka.KafkaConnection.plaintext("localhost:9092"))),
            Map.entry("raw_topic", "raw-logs"),
            Map.entry("config_topic", "product-config"),
            Map.entry("raw_from", "{}"),
            Map.entry("raw_until", "{}"),
            Map.entry("config_from", "{}"),
            Map.entry("config_until", "{}"),
            Map.entry("ranges", "(0, 1L, 2L, true)"),
            Map.entry("keyring_file", "/etc/channel/keyring.json"),
            Map.entry("hold_ms", "600000"),
            Map.entry("tz", "UTC"),
            Map.entry("slot", "b"),
            Map.entry("shown", "a"),
            Map.entry("hours", "'2026-11-23 10'"));
    for (String name :
        new String[] {
          "00_tables.sql",
          "05_views.sql",
          "10_ods_product_config.sql",
          "20_ods_raw_logs.sql",
          "30_dwd.sql",
          "40_dws_first_seen_hourly.sql",
          "50_dws_first_seen.sql",
          "51_dws_first_seen_merge.sql",
          "52_dws_first_seen_merge_check.sql",
          "60_ads_new_users_hourly.sql",
          "70_etl_hours.sql",
          "80_etl_published.sql"
        }) {
      var statements = HiveQlScript.load(name).statements(vars);
      assertThat(statements).as(name).isNotEmpty();
      for (String sql : statements) {
        assertThat(sql).as(name).doesNotContain("${").doesNotContain(";\n").doesNotStartWith("--");
      }
    }
    assertThat(HiveQlScript.load("20_ods_raw_logs.sql").statements(vars).get(0))
        .contains("'kafka.bootstrap.servers' 'localhost:9092',\n  'kafka.isolation.level'");
    var dwd = HiveQlScript.load("30_dwd.sql").statements(vars);
    assertThat(dwd.get(0)).startsWith("CREATE OR REPLACE TEMPORARY FUNCTION decode_envelope");
    assertThat(String.join("\n", dwd))
        .contains("dt = '2026-11-23' AND r.hour = '10'")
        .contains("'/etc/channel/keyring.json'");
  }

  @Test
  void theArchiveReachesASecuredKafkaWithoutItsPasswordInTheSql() {
    var config =
        dev.channelanalytics.common.config.ChannelConfig.load(
                null, java.nio.file.Path.of("."), Map.of(), new java.util.Properties())
            .with(dev.channelanalytics.common.config.Setting.KAFKA_BOOTSTRAP_SERVERS, "k1:9093")
            .with(dev.channelanalytics.common.config.Setting.KAFKA_SECURITY_PROTOCOL, "SASL_SSL")
            .with(dev.channelanalytics.common.config.Setting.KAFKA_SASL_USERNAME, "warehouse")
            .with(
                dev.channelanalytics.common.config.Setting.KAFKA_SASL_PASSWORD,
                "the-warehouse-password");
    String options =
        OfflineEtl.kafkaOptions(dev.channelanalytics.common.kafka.KafkaConnection.of(config));
    assertThat(options)
        .contains("'kafka.bootstrap.servers' 'k1:9093',")
        .contains("'kafka.security.protocol' 'SASL_SSL',")
        .contains("'kafka.sasl.mechanism' 'SCRAM-SHA-512',")
        .doesNotContain("the-warehouse-password")
        .doesNotContain("jaas");
  }

  @Test
  void aMissingVariableFailsBeforeAnyStatementRuns() {
    assertThatThrownBy(() -> HiveQlScript.load("40_dws_first_seen_hourly.sql").statements(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs the variable dt");
  }

  @Test
  void anArchiveRangeWritesSparkOffsetsAndAValuesList() {
    TreeMap<Integer, Long> from = new TreeMap<>(Map.of(0, 10L, 1, 20L));
    TreeMap<Integer, Long> until = new TreeMap<>(Map.of(0, 15L, 1, 20L));
    TreeMap<Integer, Boolean> sealed = new TreeMap<>(Map.of(0, true, 1, false));
    ArchiveRange range =
        new ArchiveRange(Instant.EPOCH, from, until, sealed, new TreeMap<>(Map.of(0, 10L, 1, 0L)));
    assertThat(range.fromJson("raw-logs")).isEqualTo("{\"raw-logs\":{\"0\":10,\"1\":20}}");
    assertThat(range.untilJson("raw-logs")).isEqualTo("{\"raw-logs\":{\"0\":15,\"1\":20}}");
    assertThat(range.valuesList()).isEqualTo("(0, 10L, 15L, true), (1, 20L, 20L, false)");
    assertThat(range.records()).isEqualTo(5);
    assertThat(range.allSealed()).isFalse();
    assertThat(range.possiblyTruncated(null))
        .as("partition 0 starts at the log start")
        .containsExactly(0);
    assertThat(range.possiblyTruncated(Map.of(0, 10L))).as("the hour before ended there").isEmpty();
  }
}
