package dev.channelanalytics.calibration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.calculator.Granularity;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.NewUserOracle.FirstSeen;
import dev.channelanalytics.common.simulation.NewUserOracle.User;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.SimulatedTraffic;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calibration of first sightings against the real offline path: simulator traffic archived and
 * computed by the warehouse (its own JVM, HiveServer2 read over Hive JDBC) and the same users in
 * the real-time store; damage to the store (users deleted, channels rewritten, a user the logs
 * never had) is found by a dry run that writes nothing, repaired by a calibration, and a second
 * calibration finds nothing to do.
 */
class HourCalibrationITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final long HOUR = 3_600_000L;

  @TempDir Path dir;

  @Test
  void damageIsFoundByADryRunRepairedByCalibrationAndASecondCalibrationChangesNothing()
      throws Exception {
    long first =
        Instant.now().truncatedTo(ChronoUnit.HOURS).minus(5, ChronoUnit.HOURS).toEpochMilli();
    List<Long> hours = List.of(first, first + HOUR, first + 2 * HOUR, first + 3 * HOUR);
    try (PipelineFixture run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir);
        ElasticsearchConnection es =
            ElasticsearchConnection.open(
                ELASTICSEARCH.url(), RetryPolicy.upTo(Duration.ofSeconds(30)))) {
      SimulatedTraffic.publish(
          KAFKA.bootstrapServers(),
          run.topics().rawLogs(),
          run.topics().productConfig(),
          run.traffic(9, 3_000, first, Duration.ofHours(3)).iterator(),
          run.oracle,
          true);
      ChannelConfig config = PipelineFixture.withWarehouse(run.config, "768m");
      int hivePort = config.intValue(Setting.LOCAL_OFFLINE_PORT);
      LocalJob warehouse =
          LocalJobs.warehouse(config, Distributions.ofThisBuild(), dir.resolve("offline"));
      warehouse.prepare();
      ManagedProcess process = warehouse.start(false);
      try {
        Poll.until("the warehouse", Duration.ofMinutes(3), warehouse::healthy);
        assertThat(
                PipelineFixture.offlineRun(
                    config, Instant.ofEpochMilli(first), Instant.ofEpochMilli(first + 4 * HOUR)))
            .as("the run's progress")
            .last()
            .isEqualTo("done");

        FirstSeenStore store = new FirstSeenStore(es, run.indexPrefix(), 1, 0);
        List<FirstSeenStore.Write> writes = new ArrayList<>();
        for (FirstSeenRecord r : run.oracle.firstSeenRecords()) {
          store.ensureProductIndex(r.productId());
          writes.add(new FirstSeenStore.Write(r, false));
        }
        store.write(writes, 1L);
        Map<User, FirstSeen> expected = new TreeMap<>(run.oracle.firstSeen());

        try (OfflineFirstSeen offline =
            OfflineFirstSeen.connect(
                "jdbc:hive2://localhost:" + hivePort + "/default",
                dev.channelanalytics.common.security.WarehouseLogin.of(config))) {
          HourCalibration calibration = new HourCalibration(offline, store);
          List<String> products =
              new ArrayList<>(
                  offline.hoursWithUsers(first, first + 4 * HOUR, ZoneOffset.UTC).keySet());
          assertThat(products).hasSize(3);
          for (HourCalibration.Outcome o : calibrateAll(calibration, products, hours, false)) {
            assertThat(o.before().equal()).as("the paths agree before any damage: " + o).isTrue();
            assertThat(o.written()).isZero();
          }
          assertThat(offline.sealed(first)).isTrue();

          // Damage: a tenth of one product's users deleted, a few rewritten with another channel
          // (same t0), and a user no log ever had in a sealed hour.
          String product = products.get(0);
          // Users of the calibrated hours (a far-off client clock may lie outside them).
          List<FirstSeenRecord> users =
              run.oracle.firstSeenRecords().stream()
                  .filter(
                      r ->
                          r.productId().equals(product)
                              && r.t0() >= first
                              && r.t0() < first + 4 * HOUR)
                  .toList();
          List<FirstSeenRecord> deleted = new ArrayList<>();
          List<FirstSeenStore.Write> rewritten = new ArrayList<>();
          for (int i = 0; i < users.size(); i++) {
            if (i % 10 == 0) {
              deleted.add(users.get(i));
            } else if (i % 10 == 1) {
              FirstSeenRecord u = users.get(i);
              rewritten.add(
                  new FirstSeenStore.Write(
                      new FirstSeenRecord(product, u.deviceId(), u.t0(), "aaa-damaged", u.appKey()),
                      true));
            }
          }
          assertThat(store.delete(deleted)).isEqualTo(deleted.size());
          store.write(rewritten, 2L);
          store.ensureProductIndex(product);
          store.write(
              List.of(
                  new FirstSeenStore.Write(
                      new FirstSeenRecord(product, "never-seen", first + 60_000, "organic", "ak"),
                      false)),
              2L);
          Map<User, FirstSeen> damaged = stored(store);

          List<HourCalibration.Outcome> dry = calibrateAll(calibration, products, hours, true);
          long differing = dry.stream().mapToLong(o -> o.before().differingUsers()).sum();
          assertThat(differing).isEqualTo(deleted.size() + rewritten.size() + 1);
          assertThat(stored(store)).as("a dry run writes nothing").isEqualTo(damaged);

          long since = System.currentTimeMillis() - 1_000;
          List<HourCalibration.Outcome> repaired =
              calibrateAll(calibration, products, hours, false);
          assertThat(repaired).allSatisfy(o -> assertThat(o.equal()).as(o.toString()).isTrue());
          assertThat(repaired.stream().mapToLong(HourCalibration.Outcome::written).sum())
              .isEqualTo(deleted.size() + rewritten.size());
          assertThat(repaired.stream().mapToLong(HourCalibration.Outcome::removed).sum())
              .isEqualTo(1);
          assertThat(stored(store)).isEqualTo(expected);
          assertThat(store.changedSince(since).get(product))
              .as("the repaired users' minutes are marked for the calculator")
              .contains(first + 60_000)
              .containsAll(deleted.stream().map(FirstSeenRecord::minute).toList());

          for (HourCalibration.Outcome o : calibrateAll(calibration, products, hours, false)) {
            assertThat(o.before().equal()).as("calibrating twice: " + o).isTrue();
            assertThat(o.written() + o.removed()).isZero();
          }

          inAHalfHourTimeZone(
              offline, store, products, first, run.oracle.firstSeenRecords(), expected);
        }
      } finally {
        process.stop(Duration.ofSeconds(30));
      }
    }
  }

  /**
   * The same warehouse read in Asia/Kolkata (+05:30), where each report hour overlaps two archive
   * hours: the hours with users are the zone's, a report hour is sealed when both archive hours
   * are, and a user no log had in such an hour is removed.
   */
  private static void inAHalfHourTimeZone(
      OfflineFirstSeen offline,
      FirstSeenStore store,
      List<String> products,
      long first,
      List<FirstSeenRecord> model,
      Map<User, FirstSeen> expected)
      throws Exception {
    ZoneId kolkata = ZoneId.of("Asia/Kolkata");
    long from = first - HOUR / 2;
    long to = first + 4 * HOUR + HOUR / 2;
    OfflineRange range = OfflineRange.read(offline, from, to, kolkata);
    Map<String, TreeSet<Long>> modelHours = new TreeMap<>();
    for (FirstSeenRecord r : model) {
      if (r.t0() >= from && r.t0() < to) {
        modelHours
            .computeIfAbsent(r.productId(), p -> new TreeSet<>())
            .add(Granularity.HOUR.bucketStart(r.t0(), kolkata));
      }
    }
    for (String product : products) {
      assertThat(range.hoursWithUsers(product))
          .as("the Kolkata hours with first sightings of " + product)
          .isEqualTo(modelHours.get(product));
    }
    long zoneHour = first + HOUR / 2;
    assertThat(offline.sealed(first) && offline.sealed(first + HOUR))
        .as("both archive hours under " + Instant.ofEpochMilli(zoneHour))
        .isTrue();
    assertThat(range.sealed(zoneHour)).isTrue();
    assertThat(offline.sealed(zoneHour)).isTrue();
    assertThat(range.sealed(first - HOUR / 2))
        .as("an hour half in an archive hour never computed")
        .isFalse();

    String product = products.get(1);
    FirstSeenRecord deleted =
        model.stream()
            .filter(
                r ->
                    r.productId().equals(product)
                        && r.t0() >= first + HOUR
                        && r.t0() < zoneHour + HOUR)
            .findFirst()
            .orElseThrow();
    assertThat(store.delete(List.of(deleted))).isEqualTo(1);
    store.write(
        List.of(
            new FirstSeenStore.Write(
                new FirstSeenRecord(
                    product, "never-seen-in-kolkata", first + HOUR + 60_000, "organic", "ak"),
                false)),
        3L);
    HourCalibration.Outcome o =
        new HourCalibration(range, store).calibrate(product, zoneHour, false);
    assertThat(o.sealed()).isTrue();
    assertThat(o.before().differingUsers()).isEqualTo(2);
    assertThat(o.equal()).as(o.toString()).isTrue();
    assertThat(o.written()).isEqualTo(1);
    assertThat(o.removed()).isEqualTo(1);
    assertThat(stored(store)).isEqualTo(expected);
  }

  private static List<HourCalibration.Outcome> calibrateAll(
      HourCalibration calibration, List<String> products, List<Long> hours, boolean dryRun)
      throws Exception {
    List<HourCalibration.Outcome> out = new ArrayList<>();
    for (String product : products) {
      for (long hour : hours) {
        out.add(calibration.calibrate(product, hour, dryRun));
      }
    }
    return out;
  }

  private static Map<User, FirstSeen> stored(FirstSeenStore store) {
    return NewUserOracle.asModel(store.stored(null, Long.MIN_VALUE, Long.MAX_VALUE));
  }
}
