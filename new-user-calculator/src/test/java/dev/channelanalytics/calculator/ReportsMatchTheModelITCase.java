package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.NewUserOracle.Bucket;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.ReportApiAnswers;
import dev.channelanalytics.testing.TestKeyring;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The calculator alone against the reference model: first sightings of two and a half days of
 * simulated traffic, written as the sharder writes them, must give exactly the model's minute, hour
 * and day answers in a zone half an hour off UTC (Asia/Kolkata, so day and hour buckets do not
 * start on UTC hours), and exactly its cumulative answer at several instants.
 */
class ReportsMatchTheModelITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");

  @TempDir Path dir;

  @Test
  void minuteHourDayAndCumulativeAnswersInKolkataEqualTheModel() throws Exception {
    TestKeyring keys = TestKeyring.write(dir);
    long start =
        Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.DAYS).toEpochMilli();
    Duration span = Duration.ofHours(60);
    NewUserOracle oracle = new NewUserOracle(keys.keyring());
    new TrafficSimulator(
            SimulationSpec.defaults(7, 4_000, start, span, List.of("k1")), keys.keyring())
        .forEachRemaining(
            r -> {
              if (r.isMapping()) {
                oracle.mapping(ProductMapping.fromKafka(r.key(), r.value()));
              } else {
                oracle.envelope(r.value());
              }
            });
    assertThat(oracle.firstSeen()).hasSizeGreaterThan(1_000);

    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    try (ElasticsearchConnection es =
        ElasticsearchConnection.open(
            ELASTICSEARCH.url(), RetryPolicy.upTo(Duration.ofSeconds(30)))) {
      writeFirstSeen(new FirstSeenStore(es, prefix, 1, 0), oracle);
      ChannelConfig config =
          CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix)
              .with(Setting.REPORT_TIME_ZONE, KOLKATA.getId());
      try (NewUserCalculatorService service = NewUserCalculatorService.start(config, 0)) {
        ReportApiAnswers api =
            new ReportApiAnswers(URI.create("http://localhost:" + service.port()));
        // Whole Kolkata days around the traffic; the model's buckets outside are left out.
        Instant from =
            NewUserOracle.bucketStart(
                start - Duration.ofDays(2).toMillis(), ChronoUnit.DAYS, KOLKATA);
        Instant to =
            NewUserOracle.bucketStart(
                start + span.plusDays(2).toMillis(), ChronoUnit.DAYS, KOLKATA);
        for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
          Map<Bucket, Long> expected = new TreeMap<>(oracle.newUsers(unit, KOLKATA));
          expected.keySet().removeIf(b -> b.start().isBefore(from) || !b.start().isBefore(to));
          assertThat(expected).as("the model's " + unit).hasSizeGreaterThan(2);
          awaitEqual(
              "the API's " + unit + " in " + KOLKATA,
              expected,
              () -> api.newUsers(expected, unit, from, to));
        }
        Set<String> products = ReportApiAnswers.products(oracle.newUsers(ChronoUnit.DAYS, KOLKATA));
        assertThat(api.timeZone(products.iterator().next(), from, to)).isEqualTo(KOLKATA.getId());
        for (Instant at :
            List.of(
                Instant.ofEpochMilli(start),
                Instant.ofEpochMilli(start).plus(Duration.ofMinutes(1_337)),
                Instant.ofEpochMilli(start).plus(span.dividedBy(2)),
                to)) {
          for (String product : products) {
            Map<String, Long> expected = oracle.cumulative(product, at);
            awaitEqual(
                "the cumulative answer of " + product + " at " + at,
                expected,
                () -> api.cumulative(product, at));
          }
        }
      }
    }
  }

  /** Every first sighting of the model, as the sharder writes them, with every minute marked. */
  private static void writeFirstSeen(FirstSeenStore store, NewUserOracle oracle) {
    List<FirstSeenStore.Write> writes = new ArrayList<>();
    Map<String, Set<Long>> minutes = new HashMap<>();
    for (FirstSeenRecord r : oracle.firstSeenRecords()) {
      writes.add(new FirstSeenStore.Write(r, false));
      minutes.computeIfAbsent(r.productId(), p -> new TreeSet<>()).add(r.minute());
    }
    minutes.keySet().forEach(store::ensureProductIndex);
    assertThat(store.write(writes, System.currentTimeMillis()))
        .containsOnly(FirstSeenStore.WriteResult.WRITTEN);
    store.connection().refresh(store.alias());
    store.markChanged(minutes, System.currentTimeMillis(), "model");
  }

  private static <T> void awaitEqual(
      String what, T expected, java.util.concurrent.Callable<T> actual) throws Exception {
    try {
      Poll.until(
          what + " to equal the model's",
          Duration.ofMinutes(2),
          () -> actual.call().equals(expected));
    } catch (IllegalStateException e) {
      assertThat(actual.call()).as(what).isEqualTo(expected);
    }
  }
}
