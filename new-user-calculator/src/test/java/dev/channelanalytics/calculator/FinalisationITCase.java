package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FinalBuckets;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.ReportApiAnswers;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Final buckets against the running calculator: an hour proven as calibration proves it answers
 * {@code final} in its minute and hour rows while the rest stays provisional; a late log in it
 * turns exactly the rows it changes back to provisional with a restatement recorded, and proving
 * the hour again makes them final.
 */
class FinalisationITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  @TempDir Path dir;

  @Test
  void aProvenHourIsFinalUntilALateLogChangesItAndIsFinalAgainOnceProvenAgain() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    String reportIndex = "reports-" + suffix;
    ChannelConfig config = CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, reportIndex);
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(5, ChronoUnit.HOURS);
    Instant next = hour.plus(1, ChronoUnit.HOURS);
    try (ElasticsearchConnection es =
            ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(TIMEOUT));
        NewUserCalculatorService service = NewUserCalculatorService.start(config, 0)) {
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      FinalBuckets finals = new FinalBuckets(es, reportIndex);
      ReportApiAnswers api = new ReportApiAnswers(URI.create("http://localhost:" + service.port()));
      store.ensureProductIndex("p");
      sight(store, "d1", hour.plusSeconds(10), "huawei");
      sight(store, "d2", hour.plusSeconds(130), "xiaomi");
      sight(store, "d3", next.plusSeconds(10), "huawei");
      PipelineFixture.awaitEqual(
          "the hour rows",
          TIMEOUT,
          3,
          () -> api.rows("p", ChronoUnit.HOURS, hour, next.plusSeconds(3600)).size());

      prove(finals, api, hour);
      // Calibration's marks show within the API's status age (ReportApi.STATUS_KEPT).
      awaitStatuses(
          api,
          ChronoUnit.MINUTES,
          hour,
          next,
          Map.of(hour + " huawei", "final", hour.plusSeconds(120) + " xiaomi", "final"));
      awaitStatuses(
          api,
          ChronoUnit.HOURS,
          hour,
          next.plusSeconds(3600),
          Map.of(
              hour + " huawei", "final",
              hour + " xiaomi", "final",
              next + " huawei", "provisional"));
      assertThat(
              statuses(
                      api,
                      ChronoUnit.DAYS,
                      hour.minus(1, ChronoUnit.DAYS),
                      next.plus(1, ChronoUnit.DAYS))
                  .values())
          .as("a day is final only once proven as a day")
          .isNotEmpty()
          .containsOnly("provisional");

      // A late log: another huawei user in the proven hour's first minute.
      sight(store, "d4", hour.plusSeconds(20), "huawei");
      PipelineFixture.awaitEqual(
          "the late user counted",
          TIMEOUT,
          "provisional",
          () -> statuses(api, ChronoUnit.MINUTES, hour, next).get(hour + " huawei"));
      assertThat(statuses(api, ChronoUnit.MINUTES, hour, next))
          .isEqualTo(
              Map.of(hour + " huawei", "provisional", hour.plusSeconds(120) + " xiaomi", "final"));
      assertThat(statuses(api, ChronoUnit.HOURS, hour, next))
          .isEqualTo(Map.of(hour + " huawei", "provisional", hour + " xiaomi", "final"));
      assertThat(finals.restatements("p", hour.toEpochMilli(), next.toEpochMilli()))
          .extracting(r -> r.key().granularity() + " " + r.finalValue() + ">" + r.newValue())
          .containsExactlyInAnyOrder("minute 1>2", "hour 1>2");

      prove(finals, api, hour);
      awaitAllFinal(api, ChronoUnit.MINUTES, hour, next);
      awaitAllFinal(api, ChronoUnit.HOURS, hour, next);

      // Proving the day (as calibration does once all its hours are) leaves its hours' proofs.
      Instant day = hour.truncatedTo(ChronoUnit.DAYS);
      Instant dayEnd = day.plus(1, ChronoUnit.DAYS);
      Map<FinalBuckets.Key, Long> days = new HashMap<>();
      for (ReportApiAnswers.Row r : api.rows("p", ChronoUnit.DAYS, day, dayEnd)) {
        days.put(
            new FinalBuckets.Key("day", day.toEpochMilli(), r.bucket().channel()), r.newUsers());
      }
      finals.finalise(
          "p", "day", day.toEpochMilli(), dayEnd.toEpochMilli(), days, System.currentTimeMillis());
      awaitAllFinal(api, ChronoUnit.DAYS, day, dayEnd);
      assertThat(statuses(api, ChronoUnit.MINUTES, hour, next).values()).containsOnly("final");
      assertThat(statuses(api, ChronoUnit.HOURS, hour, next).values()).containsOnly("final");
    }
  }

  private static void sight(FirstSeenStore store, String device, Instant t0, String channel) {
    FirstSeenRecord r = new FirstSeenRecord("p", device, t0.toEpochMilli(), channel, "ak");
    store.write(List.of(new FirstSeenStore.Write(r, false)), System.currentTimeMillis());
    store.connection().refresh(store.indexOf("p"));
    store.markChanged(Map.of("p", List.of(r.minute())), System.currentTimeMillis(), device);
  }

  /** Proves an hour as calibration does: its hour and minute rows as they stand, as final. */
  private static void prove(FinalBuckets finals, ReportApiAnswers api, Instant hour)
      throws Exception {
    Instant next = hour.plus(1, ChronoUnit.HOURS);
    Map<FinalBuckets.Key, Long> rows = new HashMap<>();
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS)) {
      String g = unit == ChronoUnit.MINUTES ? "minute" : "hour";
      for (ReportApiAnswers.Row r : api.rows("p", unit, hour, next)) {
        rows.put(
            new FinalBuckets.Key(g, r.bucket().start().toEpochMilli(), r.bucket().channel()),
            r.newUsers());
      }
    }
    finals.finalise(
        "p", "hour", hour.toEpochMilli(), next.toEpochMilli(), rows, System.currentTimeMillis());
  }

  private static void awaitStatuses(
      ReportApiAnswers api, ChronoUnit unit, Instant from, Instant to, Map<String, String> expected)
      throws Exception {
    PipelineFixture.awaitEqual(
        unit + " statuses", TIMEOUT, new TreeMap<>(expected), () -> statuses(api, unit, from, to));
  }

  private static void awaitAllFinal(ReportApiAnswers api, ChronoUnit unit, Instant from, Instant to)
      throws Exception {
    assertThat(statuses(api, unit, from, to)).isNotEmpty();
    PipelineFixture.awaitEqual(
        "every " + unit + " row final",
        TIMEOUT,
        java.util.Set.of("final"),
        () -> java.util.Set.copyOf(statuses(api, unit, from, to).values()));
  }

  private static Map<String, String> statuses(
      ReportApiAnswers api, ChronoUnit unit, Instant from, Instant to) throws Exception {
    Map<String, String> out = new TreeMap<>();
    for (ReportApiAnswers.Row r : api.rows("p", unit, from, to)) {
      out.put(r.bucket().start() + " " + r.bucket().channel(), r.status());
    }
    return out;
  }
}
