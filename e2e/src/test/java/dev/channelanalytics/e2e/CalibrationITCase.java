package dev.channelanalytics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.NewUserOracle.Bucket;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FinalBuckets;
import dev.channelanalytics.store.FirstSeenIndex;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.FreePorts;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.ReportApiAnswers;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Lambda architecture whole: simulator traffic through the real parser, sharder and reporting
 * service (each in its own JVM), archived and computed by the real warehouse (HiveServer2), then
 * calibrated by the calibration service through {@code channel calibrate}. The paths agree and
 * every row of the calibrated day becomes final; damage to the real-time store (a share of users
 * deleted, every index deleted, users moved to a later t0 or another channel) is repaired until the
 * API equals the reference model again with every row final; a late log turns exactly the buckets
 * it changes provisional with restatements, and the service's calibration after the next offline
 * run proves them again; a dry run writes nothing and calibrating twice changes nothing.
 *
 * <p>The tests share one stack and run in order; each leaves the calibrated day final.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CalibrationITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final long SEED = 23;
  private static final Duration CALIBRATED = Duration.ofMinutes(6);

  @TempDir static Path dir;

  private static PipelineFixture run;
  private static ChannelConfig config;
  private static Path configFile;
  private static ElasticsearchConnection es;
  private static FirstSeenStore store;
  private static ReportApiAnswers api;
  private static Instant day;
  private static Instant dayEnd;
  private static long start;

  @BeforeAll
  static void stack() throws Exception {
    // Yesterday, from 02:00 for three hours: the calibrated day holds the traffic.
    day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS);
    dayEnd = day.plus(1, ChronoUnit.DAYS);
    start = day.plus(2, ChronoUnit.HOURS).toEpochMilli();
    run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir.resolve("run"));
    config =
        PipelineFixture.withWarehouse(run.config, "768m")
            .with(Setting.CALIBRATION_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.CALIBRATION_RECOMPUTE_TIMEOUT, "PT1M")
            .with(Setting.CALIBRATION_CHECK_INTERVAL, "PT3S")
            .with(Setting.CALIBRATION_WAIT_TIMEOUT, "PT2M")
            .with(Setting.LOCAL_CALIBRATION_HEAP, "384m");
    configFile = dir.resolve("channel.properties");
    try (OutputStream out = Files.newOutputStream(configFile)) {
      config.properties().store(out, "calibration ITCase");
    }
    es =
        ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(Duration.ofSeconds(30)));
    store = new FirstSeenStore(es, run.indexPrefix(), 1, 0);
    api = new ReportApiAnswers(run.api());
    Distributions dist = Distributions.ofThisBuild();
    run.startJob(LocalJobs.warehouse(config, dist, dir.resolve("offline")));
    run.startJob(LocalJobs.parser(config, dist, dir.resolve("parser")));
    run.startJob(LocalJobs.sharder(config, dist, dir.resolve("sharder")));
    run.startJob(LocalJobs.calculator(config, dist, dir.resolve("calculator")));

    run.publish(run.traffic(SEED, 2_500, start, Duration.ofHours(3)), null);
    awaitApiEqualsModel(Duration.ofMinutes(3));
    run.awaitDrained(Duration.ofMinutes(1));
    offlineRun();
  }

  @AfterAll
  static void stop() {
    if (run != null) {
      run.close();
    }
    if (es != null) {
      es.close();
    }
  }

  @Test
  @Order(1)
  void agreeingPathsAreProvenAndEveryRowOfTheDayIsFinalAndASecondCalibrationChangesNothing()
      throws Exception {
    // No service yet: the command runs the calibration in a JVM of its own.
    Map<NewUserOracle.User, NewUserOracle.FirstSeen> stored = stored();
    PipelineFixture.Command dry = calibrate("--dry-run");
    assertThat(dry.exit()).as(dry.output()).isZero();
    assertThat(dry.output()).contains("dry run", "summary:", "0 hour(s) still differ");
    assertThat(stored()).isEqualTo(stored);
    assertThat(rows(ChronoUnit.HOURS))
        .allSatisfy(r -> assertThat(r.status()).isEqualTo("provisional"));

    run.startJob(
        LocalJobs.calibration(config, Distributions.ofThisBuild(), dir.resolve("calibration")));
    PipelineFixture.Command first = calibrate();
    assertThat(first.exit()).as(first.output()).isZero();
    assertThat(first.output()).contains("day " + day, ": final", "0 user(s) differed");
    assertEveryRowOfTheDayFinal();
    JsonNode records = calibrationRecords();
    assertThat(records.get("alert").asBoolean()).isFalse();
    assertThat(records.get("records")).isNotEmpty();

    Map<Bucket, Long> hours = apiAnswer(ChronoUnit.HOURS);
    PipelineFixture.Command second = calibrate();
    assertThat(second.exit()).as(second.output()).isZero();
    assertThat(second.output()).contains("0 repaired");
    assertThat(stored()).isEqualTo(stored);
    assertThat(apiAnswer(ChronoUnit.HOURS)).isEqualTo(hours);
    assertEveryRowOfTheDayFinal();
  }

  @Test
  @Order(2)
  void aLateLogTurnsExactlyTheBucketsItChangesProvisionalUntilTheNextCalibration()
      throws Exception {
    Map<ChronoUnit, Map<Bucket, Long>> before = model();
    // The first devices again, an hour earlier: they move to earlier minutes of the same day.
    run.publish(run.traffic(SEED, 40, start - 3_600_000L, Duration.ofMinutes(20)), null);
    awaitApiEqualsModel(Duration.ofMinutes(2));
    Map<ChronoUnit, Map<Bucket, Long>> after = model();
    assertThat(after.get(ChronoUnit.MINUTES)).isNotEqualTo(before.get(ChronoUnit.MINUTES));

    int provisional = 0;
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      for (ReportApiAnswers.Row r : rows(unit)) {
        boolean changed = !after.get(unit).get(r.bucket()).equals(before.get(unit).get(r.bucket()));
        assertThat(r.status())
            .as(r + " changed by the late log: " + changed)
            .isEqualTo(changed ? "provisional" : "final");
        provisional += changed ? 1 : 0;
      }
    }
    assertThat(provisional).isPositive();
    List<FinalBuckets.Restatement> restated = new ArrayList<>();
    for (String product : ReportApiAnswers.products(after.get(ChronoUnit.MINUTES))) {
      restated.addAll(
          new FinalBuckets(es, config.get(Setting.CALCULATOR_REPORT_INDEX))
              .restatements(product, day.toEpochMilli(), dayEnd.toEpochMilli()));
    }
    assertThat(restated)
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.newValue()).isNotEqualTo(r.finalValue()));

    // The offline run that archives the late log is noticed by the service, which calibrates the
    // hours it changed by itself.
    offlineRun();
    Poll.until(
        "the calibration after the offline run",
        Duration.ofMinutes(3),
        () -> {
          JsonNode health = calibrationHealth();
          return !health.get("running").asBoolean()
              && health.get("lastRun").asText().startsWith("after-offline-run");
        });
    assertThat(calibrationHealth().get("lastRun").asText()).endsWith(": equal");
    awaitApiEqualsModel(Duration.ofSeconds(10));
    assertEveryRowOfTheDayFinal();
  }

  @Test
  @Order(3)
  void aShareOfUsersDeletedIsFoundByADryRunThatWritesNothingAndRepaired() throws Exception {
    List<FirstSeenRecord> users = usersOfTheDay();
    List<FirstSeenRecord> deleted = new ArrayList<>();
    for (int i = 0; i < users.size(); i += 10) {
      deleted.add(users.get(i));
    }
    assertThat(store.delete(deleted)).isEqualTo(deleted.size());
    damaged(deleted);

    Map<NewUserOracle.User, NewUserOracle.FirstSeen> damagedStore = stored();
    PipelineFixture.Command dry = calibrate("--dry-run");
    assertThat(dry.exit()).as(dry.output()).isEqualTo(4);
    assertThat(dry.output()).contains(deleted.size() + " user(s) differed");
    assertThat(stored()).as("a dry run writes nothing").isEqualTo(damagedStore);

    repairedToTheModel();
  }

  @Test
  @Order(4)
  void everyIndexOfTheRealTimePathDeletedIsRebuilt() throws Exception {
    List<String> indices = new ArrayList<>();
    for (String pattern :
        List.of(
            FirstSeenIndex.alias(run.indexPrefix()) + "*",
            config.get(Setting.CALCULATOR_REPORT_INDEX) + "*")) {
      indices.addAll(
          es.call("list " + pattern, c -> c.indices().get(g -> g.index(pattern)))
              .result()
              .keySet());
    }
    assertThat(indices).hasSizeGreaterThanOrEqualTo(5);
    es.call("delete the real-time path", c -> c.indices().delete(d -> d.index(indices)));

    repairedToTheModel();
  }

  @Test
  @Order(5)
  void usersMovedToALaterT0OrAnotherChannelAreRepaired() throws Exception {
    List<FirstSeenRecord> users = usersOfTheDay();
    List<FirstSeenRecord> moved = new ArrayList<>();
    List<FirstSeenRecord> later = new ArrayList<>();
    List<FirstSeenStore.Write> otherChannel = new ArrayList<>();
    for (int i = 0; i < users.size(); i++) {
      FirstSeenRecord u = users.get(i);
      if (i % 10 == 0) {
        moved.add(u);
        later.add(
            new FirstSeenRecord(
                u.productId(), u.deviceId(), u.t0() + 150_000, u.channel(), u.appKey()));
      } else if (i % 10 == 1) {
        otherChannel.add(
            new FirstSeenStore.Write(
                new FirstSeenRecord(u.productId(), u.deviceId(), u.t0(), "aaa-damaged", u.appKey()),
                true));
      }
    }
    assertThat(store.replace(moved, later, 1L, Duration.ofSeconds(90))).isEqualTo(later.size());
    store.write(otherChannel, 1L);
    List<FirstSeenRecord> damaged = new ArrayList<>(later);
    otherChannel.forEach(w -> damaged.add(w.record()));
    damaged(damaged);

    repairedToTheModel();
  }

  // ---------------------------------------------------------------------------------------------

  /** Marks the damaged users' minutes, as a recompute would see them, and waits for it. */
  private static void damaged(List<FirstSeenRecord> users) throws Exception {
    Map<String, List<Long>> minutes = new TreeMap<>();
    users.forEach(
        u -> minutes.computeIfAbsent(u.productId(), p -> new ArrayList<>()).add(u.minute()));
    store.markChanged(minutes, System.currentTimeMillis(), "damage|" + System.nanoTime());
    Map<Bucket, Long> model = inTheDay(run.oracle.newUsers(ChronoUnit.MINUTES, ZoneOffset.UTC));
    Poll.until(
        "the damage in the reports",
        Duration.ofMinutes(1),
        () -> !apiAnswer(ChronoUnit.MINUTES).equals(model));
  }

  /** Calibrates the day; the API then equals the model in it, with every row final. */
  private static void repairedToTheModel() throws Exception {
    PipelineFixture.Command repair = calibrate();
    assertThat(repair.exit()).as(repair.output()).isZero();
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      assertThat(apiAnswer(unit))
          .as("the API's " + unit + " after calibration")
          .isEqualTo(inTheDay(run.oracle.newUsers(unit, ZoneOffset.UTC)));
    }
    assertEveryRowOfTheDayFinal();
  }

  private static void assertEveryRowOfTheDayFinal() throws Exception {
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      assertThat(rows(unit))
          .as(unit + " rows of the calibrated day")
          .isNotEmpty()
          .allSatisfy(r -> assertThat(r.status()).as(r.toString()).isEqualTo("final"));
    }
  }

  /**
   * Computes the archive hours around now (the traffic was published now) through the warehouse.
   */
  private static void offlineRun() throws Exception {
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
    assertThat(
            PipelineFixture.offlineRun(
                config, hour.minus(1, ChronoUnit.HOURS), hour.plus(1, ChronoUnit.HOURS)))
        .as("the run's progress")
        .last()
        .isEqualTo("done");
  }

  /** {@code channel calibrate} of the day, as an operator runs it. */
  private static PipelineFixture.Command calibrate(String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(List.of("calibrate", "--from", day.toString(), "--to", dayEnd.toString()));
    args.addAll(List.of(extra));
    return PipelineFixture.channel(configFile, CALIBRATED, args);
  }

  private static JsonNode calibrationHealth() throws Exception {
    return getJson(
        URI.create("http://localhost:" + config.get(Setting.CALIBRATION_PORT) + "/health"));
  }

  /** A JSON answer of 200. */
  private static JsonNode getJson(URI uri) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return ElasticsearchConnection.JSON.readTree(r.body());
  }

  private static JsonNode calibrationRecords() throws Exception {
    String product =
        ReportApiAnswers.products(run.oracle.newUsers(ChronoUnit.HOURS, ZoneOffset.UTC))
            .iterator()
            .next();
    return getJson(
        URI.create(
            run.api()
                + "/api/v1/calibration?product="
                + java.net.URLEncoder.encode(product, StandardCharsets.UTF_8)
                + "&from="
                + day
                + "&to="
                + dayEnd));
  }

  private static void awaitApiEqualsModel(Duration timeout) throws Exception {
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      Map<Bucket, Long> expected = inTheDay(run.oracle.newUsers(unit, ZoneOffset.UTC));
      assertThat(expected).isNotEmpty();
      PipelineFixture.awaitEqual(
          "the API's " + unit + " equal to the model's", timeout, expected, () -> apiAnswer(unit));
    }
  }

  /** The model's minute, hour and day answers. */
  private static Map<ChronoUnit, Map<Bucket, Long>> model() {
    Map<ChronoUnit, Map<Bucket, Long>> out = new java.util.EnumMap<>(ChronoUnit.class);
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      out.put(unit, run.oracle.newUsers(unit, ZoneOffset.UTC));
    }
    return out;
  }

  private static Map<Bucket, Long> apiAnswer(ChronoUnit unit) throws Exception {
    return api.newUsers(run.oracle.newUsers(ChronoUnit.DAYS, ZoneOffset.UTC), unit, day, dayEnd);
  }

  private static List<ReportApiAnswers.Row> rows(ChronoUnit unit) throws Exception {
    List<ReportApiAnswers.Row> out = new ArrayList<>();
    for (String product :
        ReportApiAnswers.products(run.oracle.newUsers(ChronoUnit.DAYS, ZoneOffset.UTC))) {
      out.addAll(api.rows(product, unit, day, dayEnd));
    }
    return out;
  }

  /** The model's buckets in the calibrated day (a far-off client clock may lie outside it). */
  private static Map<Bucket, Long> inTheDay(Map<Bucket, Long> answer) {
    Map<Bucket, Long> out = new TreeMap<>();
    answer.forEach(
        (b, n) -> {
          if (!b.start().isBefore(day) && b.start().isBefore(dayEnd)) {
            out.put(b, n);
          }
        });
    return out;
  }

  private static List<FirstSeenRecord> usersOfTheDay() {
    return run.oracle.firstSeenRecords().stream()
        .filter(r -> r.t0() >= day.toEpochMilli() && r.t0() < dayEnd.toEpochMilli())
        .toList();
  }

  private static Map<NewUserOracle.User, NewUserOracle.FirstSeen> stored() {
    return NewUserOracle.asModel(store.stored(null, Long.MIN_VALUE, Long.MAX_VALUE));
  }
}
