package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.SimulatedTraffic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline path end to end: simulator traffic spread over several hours of record timestamps is
 * archived and recomputed by the HiveQL layers, and the hourly new users read back through Hive
 * JDBC equal the reference model's, whatever the order hours run in and however often. Logs that
 * arrive after their hours were computed make those hours due again, and the numbers converge.
 */
class OfflineEtlITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  private static final Instant H0 = Instant.parse("2026-11-20T10:00:00Z");

  @TempDir Path dir;

  @Test
  void hourlyNewUsersEqualTheModelInAnyOrderOfRunsAndConvergeAfterLateLogs() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String raw = "raw-" + suffix;
    String config = "config-" + suffix;
    KAFKA.kafka().createTopic(raw, 3);
    KAFKA.kafka().createTopic(config, 1);
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Path keyringFile = dir.resolve("keyring.json");
    Files.writeString(keyringFile, "{\"k1\":\"" + Base64.getEncoder().encodeToString(key) + "\"}");
    Keyring keyring = Keyring.load(keyringFile);
    NewUserOracle oracle = new NewUserOracle(keyring);
    // Four hours of receive times from 10:20; deliveries up to 30 minutes late and far-off clocks
    // put events in other hours than their uploads.
    SimulatedTraffic.publish(
        KAFKA.bootstrapServers(),
        raw,
        config,
        new TrafficSimulator(
            SimulationSpec.defaults(
                11, 8_000, H0.toEpochMilli() + 1_200_000, Duration.ofHours(4), List.of("k1")),
            keyring),
        oracle,
        true);

    try (HiveWarehouse warehouse =
        HiveWarehouse.start(
            dir.resolve("hive"), WarehousePort.shared(), WarehousePort.metastore(), "local[2]")) {
      OfflineSettings settings =
          WarehousePort.settings(
              warehouse.jdbcUrl(),
              KAFKA.bootstrapServers(),
              raw,
              config,
              keyringFile,
              ZoneOffset.UTC);
      try (OfflineEtl etl = OfflineEtl.connect(settings)) {
        Instant afterLastHour = H0.plus(5, ChronoUnit.HOURS).plus(20, ChronoUnit.MINUTES);
        List<Instant> due = etl.dueHours(afterLastHour);
        assertThat(due).containsExactly(hour(0), hour(1), hour(2), hour(3), hour(4));

        etl.run(List.of(hour(3), hour(1)), OfflineEtl.Progress.SILENT);
        assertThat(etl.dueHours(afterLastHour)).containsExactly(hour(0), hour(2), hour(4));
        etl.run(List.of(hour(4), hour(0), hour(2)), OfflineEtl.Progress.SILENT);
        assertThat(etl.dueHours(afterLastHour)).isEmpty();
        Map<String, Long> answer = etl.hourlyNewUsers();
        assertThat(answer).isEqualTo(expected(oracle));
        assertThat(answer.values().stream().mapToLong(Long::longValue).sum())
            .as("users")
            .isEqualTo(oracle.firstSeen().size())
            .isGreaterThan(3_000);
        assertThat(rejectsByReason(warehouse.jdbcUrl())).isEqualTo(expectedRejects(oracle));

        etl.run(List.of(hour(2)), OfflineEtl.Progress.SILENT);
        assertThat(etl.hourlyNewUsers()).as("an hour run again").isEqualTo(answer);

        // The same devices again, with receive times two hours earlier, published after every
        // hour was computed: the records join the newest hour's range, users move earlier.
        SimulatedTraffic.publish(
            KAFKA.bootstrapServers(),
            raw,
            config,
            new TrafficSimulator(
                SimulationSpec.defaults(
                    11, 2_000, H0.toEpochMilli() - 6_000_000, Duration.ofHours(1), List.of("k1")),
                keyring),
            oracle,
            true);
        List<Instant> dueAgain = etl.dueHours(afterLastHour);
        assertThat(dueAgain).contains(hour(4));
        etl.run(dueAgain, OfflineEtl.Progress.SILENT);
        assertThat(etl.dueHours(afterLastHour)).isEmpty();
        assertThat(etl.hourlyNewUsers()).isEqualTo(expected(oracle)).isNotEqualTo(answer);
        assertThat(rejectsByReason(warehouse.jdbcUrl())).isEqualTo(expectedRejects(oracle));
      }
      // Hours of a report zone half an hour off UTC.
      ZoneId kolkata = ZoneId.of("Asia/Kolkata");
      try (OfflineEtl etl =
          OfflineEtl.connect(
              WarehousePort.settings(
                  warehouse.jdbcUrl(),
                  KAFKA.bootstrapServers(),
                  raw,
                  config,
                  keyringFile,
                  kolkata))) {
        etl.prepare();
        etl.publish();
        assertThat(etl.hourlyNewUsers()).isEqualTo(expected(oracle, kolkata));
        // The rebuild went into the other slot: the answer shown before is still whole there.
        String shown = single(warehouse.jdbcUrl(), "SELECT slot FROM etl_published");
        String other = shown.equals("a") ? "b" : "a";
        assertThat(newUsersIn(warehouse.jdbcUrl(), "ads_new_users_hourly_" + other))
            .isEqualTo(expected(oracle));
      }
    }
  }

  private static Instant hour(int n) {
    return H0.plus(n, ChronoUnit.HOURS);
  }

  private static Map<String, Long> expected(NewUserOracle oracle) {
    return expected(oracle, ZoneOffset.UTC);
  }

  private static Map<String, Long> expected(NewUserOracle oracle, ZoneId zone) {
    Map<String, Long> out = new TreeMap<>();
    oracle
        .newUsers(ChronoUnit.HOURS, zone)
        .forEach((b, n) -> out.put(b.product() + "|" + b.start() + "|" + b.channel(), n));
    return out;
  }

  private static Map<String, Long> expectedRejects(NewUserOracle oracle) {
    Map<String, Long> out = new TreeMap<>();
    oracle.rejects().forEach((reason, n) -> out.put(reason.code(), n));
    return out;
  }

  private static String single(String jdbcUrl, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "test", "");
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      assertThat(r.next()).isTrue();
      return r.getString(1);
    }
  }

  private static Map<String, Long> newUsersIn(String jdbcUrl, String table) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl, "test", "");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery("SELECT product_id, bucket, channel, new_users FROM " + table)) {
      while (r.next()) {
        out.put(r.getString(1) + "|" + r.getString(2) + "|" + r.getString(3), r.getLong(4));
      }
    }
    return out;
  }

  /** Rejects per reason code in the DWD layer, read through Hive JDBC. */
  private static Map<String, Long> rejectsByReason(String jdbcUrl) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl, "test", "");
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT reason, count(*) FROM dwd_rejects GROUP BY reason")) {
      while (r.next()) {
        out.put(r.getString(1), r.getLong(2));
      }
    }
    return out;
  }
}
