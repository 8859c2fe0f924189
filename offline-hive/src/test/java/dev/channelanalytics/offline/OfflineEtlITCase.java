package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.SimulatedTraffic;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
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
 *
 * <p>Each test has its own topics and its own Hive database on one warehouse. The hours are the
 * last few that ended before the test started, so the broker's retention never deletes a record
 * before the archive reads it.
 */
class OfflineEtlITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
  @RegisterExtension static final HiveExtension HIVE = new HiveExtension();

  /** The first traffic hour: six hours before this run's hour, so every stamp is in the past. */
  private static final Instant H0 =
      Instant.now().truncatedTo(ChronoUnit.HOURS).minus(6, ChronoUnit.HOURS);

  /** Twenty minutes after the last traffic hour ended: every hour has settled. */
  private static final Instant AFTER_LAST_HOUR =
      H0.plus(5, ChronoUnit.HOURS).plus(20, ChronoUnit.MINUTES);

  @TempDir Path dir;

  @Test
  void hoursComputedInAnyOrderAreDueUntilComputedAndGiveTheModelsNewUsersAndRejects()
      throws Exception {
    Traffic traffic = Traffic.fourBusyHours(dir);
    try (OfflineEtl etl = OfflineEtl.connect(traffic.settings(ZoneOffset.UTC))) {
      assertThat(etl.dueHours(AFTER_LAST_HOUR))
          .containsExactly(hour(0), hour(1), hour(2), hour(3), hour(4));
      etl.run(List.of(hour(3), hour(1)), RunProgress.SILENT);
      assertThat(etl.dueHours(AFTER_LAST_HOUR)).containsExactly(hour(0), hour(2), hour(4));
      etl.run(List.of(hour(4), hour(0), hour(2)), RunProgress.SILENT);
      assertThat(etl.dueHours(AFTER_LAST_HOUR)).isEmpty();

      Map<String, Long> answer = etl.hourlyNewUsers();
      assertThat(answer).isEqualTo(traffic.expected(ZoneOffset.UTC));
      assertThat(answer.values().stream().mapToLong(Long::longValue).sum())
          .as("users")
          .isEqualTo(traffic.oracle.firstSeen().size())
          .isGreaterThan(3_000);
      assertThat(traffic.rejectsByReason()).isEqualTo(traffic.expectedRejects());
    }
  }

  @Test
  void anHourComputedAgainChangesNothing() throws Exception {
    Traffic traffic = Traffic.twoQuietHours(dir);
    try (OfflineEtl etl = traffic.computeDueHours(ZoneOffset.UTC)) {
      Map<String, Long> answer = etl.hourlyNewUsers();
      assertThat(answer).isEqualTo(traffic.expected(ZoneOffset.UTC)).isNotEmpty();

      etl.run(List.of(hour(1)), RunProgress.SILENT);
      assertThat(etl.hourlyNewUsers()).as("an hour run again").isEqualTo(answer);
      assertThat(traffic.rejectsByReason()).isEqualTo(traffic.expectedRejects());
      assertThat(etl.dueHours(AFTER_LAST_HOUR)).isEmpty();
    }
  }

  @Test
  void logsArrivingAfterTheirHoursWereComputedMakeThemDueAndTheAnswerConverges() throws Exception {
    Traffic traffic = Traffic.fourBusyHours(dir);
    try (OfflineEtl etl = traffic.computeDueHours(ZoneOffset.UTC)) {
      assertThat(etl.dueHours(AFTER_LAST_HOUR)).isEmpty();
      Map<String, Long> answer = etl.hourlyNewUsers();
      assertThat(answer).isEqualTo(traffic.expected(ZoneOffset.UTC));

      // The same devices again, with receive times two hours earlier, published after every
      // hour was computed: the records join the newest hour's range, users move earlier.
      traffic.publish(2_000, H0.toEpochMilli() - 6_000_000, Duration.ofHours(1));
      List<Instant> dueAgain = etl.dueHours(AFTER_LAST_HOUR);
      assertThat(dueAgain).contains(hour(4));
      etl.run(dueAgain, RunProgress.SILENT);
      assertThat(etl.dueHours(AFTER_LAST_HOUR)).isEmpty();
      assertThat(etl.hourlyNewUsers())
          .isEqualTo(traffic.expected(ZoneOffset.UTC))
          .isNotEqualTo(answer);
      assertThat(traffic.rejectsByReason()).isEqualTo(traffic.expectedRejects());
    }
  }

  @Test
  void hoursOfAReportZoneHalfAnHourOffUtcStartAtItsLocalHours() throws Exception {
    Traffic traffic = Traffic.twoQuietHours(dir);
    ZoneId kolkata = ZoneId.of("Asia/Kolkata");
    try (OfflineEtl etl = traffic.computeDueHours(kolkata)) {
      assertThat(etl.hourlyNewUsers())
          .isEqualTo(traffic.expected(kolkata))
          .isNotEqualTo(traffic.expected(ZoneOffset.UTC));
      assertThat(etl.hourlyNewUsers().keySet()).allSatisfy(k -> assertThat(k).contains(":30:00Z|"));
    }
  }

  @Test
  void aRebuildWritesTheSlotNotShownSoTheAnswerShownBeforeStaysWhole() throws Exception {
    Traffic traffic = Traffic.twoQuietHours(dir);
    try (OfflineEtl etl = traffic.computeDueHours(ZoneOffset.UTC)) {
      assertThat(etl.hourlyNewUsers()).isEqualTo(traffic.expected(ZoneOffset.UTC));
    }
    String shownBefore = (String) traffic.database.single("SELECT slot FROM etl_published");
    // A rebuild for another report zone gives a different answer, into the other slot.
    ZoneId kolkata = ZoneId.of("Asia/Kolkata");
    try (OfflineEtl etl = OfflineEtl.connect(traffic.settings(kolkata))) {
      etl.prepare();
      etl.publish();
      assertThat(etl.hourlyNewUsers()).isEqualTo(traffic.expected(kolkata));
    }
    assertThat(traffic.database.single("SELECT slot FROM etl_published"))
        .isEqualTo(shownBefore.equals("a") ? "b" : "a");
    assertThat(
            HiveExtension.counts(
                traffic.database.sql(
                    "SELECT product_id, bucket, channel, new_users FROM ads_new_users_hourly_"
                        + shownBefore)))
        .isEqualTo(traffic.expected(ZoneOffset.UTC));
    assertThat(traffic.database.single("SELECT count(*) FROM dws_first_seen_" + shownBefore))
        .isEqualTo((long) traffic.oracle.firstSeen().size());
  }

  @Test
  void aPublishMergesTheHoursComputedSinceAndRebuildsOnlyWhenAMergeCouldBeWrong() throws Exception {
    Traffic traffic = Traffic.twoQuietHours(dir);
    List<String> how = new java.util.ArrayList<>();
    RunProgress heard =
        new RunProgress() {
          @Override
          public void hourDone(int done, int total, HourResult result, Duration took) {}

          @Override
          public void hourFailed(int done, int total, Instant hour, Exception cause) {}

          @Override
          public void published(long users, long rows, String h, Duration took) {
            how.add(h);
          }
        };
    try (OfflineEtl etl = OfflineEtl.connect(traffic.settings(ZoneOffset.UTC))) {
      etl.run(List.of(hour(0)), heard);
      assertThat(how).last().asString().startsWith("rebuilt from every hour: no publish on record");
      etl.run(List.of(hour(1), hour(2)), heard);
      assertThat(how).last().isEqualTo("merged 2 hour(s) computed since the last publish");
      assertThat(etl.hourlyNewUsers()).isEqualTo(traffic.expected(ZoneOffset.UTC));
      assertThat(traffic.firstSightings()).isEqualTo(traffic.oracle.firstSeen());

      // Late logs move users earlier: the hour they are archived in is merged, not every hour.
      traffic.publish(500, H0.toEpochMilli() - 6_000_000, Duration.ofHours(1));
      etl.run(etl.dueHours(AFTER_LAST_HOUR), heard);
      assertThat(how).last().asString().startsWith("merged ");
      assertThat(etl.hourlyNewUsers()).isEqualTo(traffic.expected(ZoneOffset.UTC));
      assertThat(traffic.firstSightings()).isEqualTo(traffic.oracle.firstSeen());
    }

    // Hour 1 computed again with a keyring that lacks the traffic's key: its uploads become
    // unknown_key and its sightings vanish, which a merge cannot express. Every hour is read.
    Path wrongKeyring = dir.resolve("wrong-keyring.json");
    Files.writeString(
        wrongKeyring, "{\"k9\":\"" + Base64.getEncoder().encodeToString(new byte[32]) + "\"}");
    try (OfflineEtl wrong =
        OfflineEtl.connect(
            traffic.database.settings(
                KAFKA.bootstrapServers(),
                traffic.raw,
                traffic.config,
                wrongKeyring,
                ZoneOffset.UTC))) {
      wrong.run(List.of(hour(1)), heard);
      assertThat(how)
          .last()
          .asString()
          .startsWith("rebuilt from every hour: ")
          .contains("would be wrong");
      assertThat(wrong.hourlyNewUsers()).isNotEqualTo(traffic.expected(ZoneOffset.UTC));
    }
    // With the right keyring again, hour 1 only gains: a merge brings back the model's answer.
    try (OfflineEtl etl = OfflineEtl.connect(traffic.settings(ZoneOffset.UTC))) {
      etl.run(List.of(hour(1)), heard);
      assertThat(how).last().isEqualTo("merged 1 hour(s) computed since the last publish");
      assertThat(etl.hourlyNewUsers()).isEqualTo(traffic.expected(ZoneOffset.UTC));
      assertThat(traffic.firstSightings()).isEqualTo(traffic.oracle.firstSeen());
    }

    // A warehouse from before source hours were kept: the column is added and the next publish
    // rebuilds once, then merges again.
    for (String slot : List.of("a", "b")) {
      traffic.database.sql("DROP TABLE dws_first_seen_" + slot);
      traffic.database.sql(
          "CREATE TABLE dws_first_seen_"
              + slot
              + " (product_id STRING, device_id STRING, t0 BIGINT, channel STRING,"
              + " app_key STRING) STORED AS PARQUET");
    }
    try (OfflineEtl etl = OfflineEtl.connect(traffic.settings(ZoneOffset.UTC))) {
      etl.run(List.of(hour(0)), heard);
      assertThat(how).last().asString().startsWith("rebuilt from every hour: ");
      etl.run(List.of(hour(0)), heard);
      assertThat(how).last().isEqualTo("merged 1 hour(s) computed since the last publish");
      assertThat(etl.hourlyNewUsers()).isEqualTo(traffic.expected(ZoneOffset.UTC));
      assertThat(traffic.firstSightings()).isEqualTo(traffic.oracle.firstSeen());
    }
  }

  @Test
  void theTerminalCommandListsTheDueHoursAndComputesEveryHourStartingInItsRange() throws Exception {
    Traffic traffic = Traffic.twoQuietHours(dir);
    Path config = dir.resolve("channel.properties");
    OfflineSettings settings = traffic.settings(ZoneOffset.UTC);
    Files.writeString(
        config,
        String.join(
            "\n",
            "offline.jdbc-url=" + settings.jdbcUrl(),
            "kafka.bootstrap-servers=" + settings.kafka().bootstrapServers(),
            "topic.raw-logs=" + settings.rawTopic(),
            "topic.product-config=" + settings.configTopic(),
            "keyring.file=" + settings.keyringFile(),
            "report.time-zone=UTC"));
    String c = config.toString();

    assertThat(terminal("--config", c, "due", AFTER_LAST_HOUR.toString()))
        .containsSubsequence(hour(0) + "\n", hour(4) + "\n", "5 hours due at " + AFTER_LAST_HOUR);
    // From the middle of hour 0 to the end of hour 4: hours 0 to 4.
    String run =
        terminal(
            "--config",
            c,
            "run",
            hour(0).plus(30, ChronoUnit.MINUTES).toString(),
            hour(5).toString());
    assertThat(run)
        .contains("computing 5 hours from " + hour(0))
        .contains("[1/5] " + hour(0))
        .contains("[5/5] " + hour(4))
        .contains("published: ")
        .doesNotContain("FAILED");
    assertThat(terminal("--config", c, "due", AFTER_LAST_HOUR.toString()))
        .isEqualTo("0 hours due at " + AFTER_LAST_HOUR + "\n");
    try (OfflineEtl etl = OfflineEtl.connect(settings)) {
      assertThat(etl.hourlyNewUsers()).isEqualTo(traffic.expected(ZoneOffset.UTC));
    }
  }

  /** What {@link OfflineMain} prints for {@code args}, which must succeed. */
  private static String terminal(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        OfflineMain.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }

  private static Instant hour(int n) {
    return H0.plus(n, ChronoUnit.HOURS);
  }

  /** One test's topics, keyring, reference model and Hive database, and the traffic it sent. */
  private static final class Traffic {
    final String raw = "raw-" + UUID.randomUUID().toString().substring(0, 8);
    final String config = "config-" + UUID.randomUUID().toString().substring(0, 8);
    final Path keyringFile;
    final Keyring keyring;
    final NewUserOracle oracle;
    final HiveExtension.Database database;

    private Traffic(Path dir) throws Exception {
      KAFKA.kafka().createTopic(raw, 3);
      KAFKA.kafka().createTopic(config, 1);
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      keyringFile = dir.resolve("keyring.json");
      Files.writeString(
          keyringFile, "{\"k1\":\"" + Base64.getEncoder().encodeToString(key) + "\"}");
      keyring = Keyring.load(keyringFile);
      oracle = new NewUserOracle(keyring);
      database = HIVE.database();
    }

    /**
     * 8,000 envelopes with four hours of receive times from 20 minutes into hour 0; deliveries up
     * to 30 minutes late and far-off clocks put events in other hours than their uploads.
     */
    static Traffic fourBusyHours(Path dir) throws Exception {
      Traffic t = new Traffic(dir);
      t.publish(8_000, H0.toEpochMilli() + 1_200_000, Duration.ofHours(4));
      return t;
    }

    /** 2,000 envelopes with two hours of receive times from 20 minutes into hour 0. */
    static Traffic twoQuietHours(Path dir) throws Exception {
      Traffic t = new Traffic(dir);
      t.publish(2_000, H0.toEpochMilli() + 1_200_000, Duration.ofHours(2));
      return t;
    }

    /** Connects with the report zone {@code zone} and computes the hours due after the last. */
    OfflineEtl computeDueHours(ZoneId zone) throws Exception {
      OfflineEtl etl = OfflineEtl.connect(settings(zone));
      try {
        etl.run(etl.dueHours(AFTER_LAST_HOUR), RunProgress.SILENT);
        return etl;
      } catch (Exception | AssertionError e) {
        etl.close();
        throw e;
      }
    }

    /** Publishes simulator traffic (seed 11) stamped with its receive times. */
    void publish(int envelopes, long startMillis, Duration span) {
      SimulatedTraffic.publish(
          KAFKA.bootstrapServers(),
          raw,
          config,
          new TrafficSimulator(
              SimulationSpec.defaults(11, envelopes, startMillis, span, List.of("k1")), keyring),
          oracle,
          true);
    }

    OfflineSettings settings(ZoneId zone) {
      return database.settings(KAFKA.bootstrapServers(), raw, config, keyringFile, zone);
    }

    /** The model's hourly new users, keyed as {@link OfflineEtl#hourlyNewUsers()} keys them. */
    Map<String, Long> expected(ZoneId zone) {
      Map<String, Long> out = new TreeMap<>();
      oracle
          .newUsers(ChronoUnit.HOURS, zone)
          .forEach((b, n) -> out.put(b.product() + "|" + b.start() + "|" + b.channel(), n));
      return out;
    }

    /** The published first sightings, in the model's terms, read through Hive JDBC. */
    Map<NewUserOracle.User, NewUserOracle.FirstSeen> firstSightings() throws Exception {
      Map<NewUserOracle.User, NewUserOracle.FirstSeen> out = new TreeMap<>();
      for (List<Object> r :
          database.sql("SELECT product_id, device_id, t0, channel, app_key FROM dws_first_seen")) {
        out.put(
            new NewUserOracle.User((String) r.get(0), (String) r.get(1)),
            new NewUserOracle.FirstSeen(
                ((Number) r.get(2)).longValue(), (String) r.get(3), (String) r.get(4)));
      }
      return out;
    }

    Map<String, Long> expectedRejects() {
      Map<String, Long> out = new TreeMap<>();
      oracle.rejects().forEach((reason, n) -> out.put(reason.code(), n));
      return out;
    }

    /** Rejects per reason code in the DWD layer, read through Hive JDBC. */
    Map<String, Long> rejectsByReason() throws Exception {
      return HiveExtension.counts(
          database.sql("SELECT reason, count(*) FROM dwd_rejects GROUP BY reason"));
    }
  }
}
