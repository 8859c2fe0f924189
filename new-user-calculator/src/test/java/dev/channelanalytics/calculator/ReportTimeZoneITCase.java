package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code report.time-zone} changed between two runs of the service on the same indices: rows name
 * the zone they were computed in, the service rebuilds its rows in the new zone, and no answer ever
 * mixes the two zones' hours (Asia/Kolkata's start at half past the UTC hour).
 */
class ReportTimeZoneITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  @TempDir Path dir;

  private static JsonNode answer(URI api, Instant from, Instant to) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    api.resolve(
                        "/api/v1/new-users?product=p&granularity=hour&from=" + from + "&to=" + to))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  private static Map<String, Long> hours(JsonNode answer) {
    Map<String, Long> out = new TreeMap<>();
    answer
        .path("rows")
        .forEach(
            r -> out.merge(r.path("bucket").asText(), r.path("new_users").asLong(), Long::sum));
    return out;
  }

  @Test
  void aChangedTimeZoneRebuildsTheRowsAndNoAnswerMixesTwoZones() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    ChannelConfig utc =
        CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix);
    ChannelConfig kolkata = utc.with(Setting.REPORT_TIME_ZONE, "Asia/Kolkata");
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(6, ChronoUnit.HOURS);
    Instant from = hour.minus(2, ChronoUnit.HOURS);
    Instant to = hour.plus(2, ChronoUnit.HOURS);
    try (ElasticsearchConnection es =
        ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(TIMEOUT))) {
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      store.ensureProductIndex("p");
      List<FirstSeenStore.Write> writes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        // Two users at ten past the hour, two at twenty to the next.
        long t0 = hour.plus(i < 2 ? 10 : 40, ChronoUnit.MINUTES).plusSeconds(i).toEpochMilli();
        writes.add(
            new FirstSeenStore.Write(new FirstSeenRecord("p", "d" + i, t0, "c", "ak"), false));
      }
      store.write(writes, System.currentTimeMillis());
      store.markChanged(
          Map.of(
              "p",
              List.of(
                  hour.plus(10, ChronoUnit.MINUTES).toEpochMilli(),
                  hour.plus(40, ChronoUnit.MINUTES).toEpochMilli())),
          System.currentTimeMillis(),
          "users");

      try (NewUserCalculatorService service = NewUserCalculatorService.start(utc, 0)) {
        URI api = URI.create("http://localhost:" + service.port());
        Poll.until(
            "the UTC hour row",
            TIMEOUT,
            () -> hours(answer(api, from, to)).equals(Map.of(hour.toString(), 4L)));
        assertThat(answer(api, from, to).path("tz").asText()).isEqualTo("UTC");
      }

      Map<String, Long> kolkataHours =
          Map.of(
              hour.minus(30, ChronoUnit.MINUTES).toString(), 2L,
              hour.plus(30, ChronoUnit.MINUTES).toString(), 2L);
      try (NewUserCalculatorService service = NewUserCalculatorService.start(kolkata, 0)) {
        URI api = URI.create("http://localhost:" + service.port());
        Poll.until(
            "the rows rebuilt in Asia/Kolkata",
            TIMEOUT,
            () -> {
              JsonNode a = answer(api, from, to);
              assertThat(a.path("tz").asText()).isEqualTo("Asia/Kolkata");
              // Never a UTC hour in a Kolkata answer, also while the rebuild runs.
              assertThat(hours(a).keySet()).allSatisfy(b -> assertThat(b).contains(":30:00"));
              return hours(a).equals(kolkataHours);
            });
      }
      ReportStore utcRows = new ReportStore(es, "reports-" + suffix, ZoneId.of("UTC"));
      assertThat(utcRows.rows("p", Granularity.HOUR, from.toEpochMilli(), to.toEpochMilli(), null))
          .as("the rows of the zone no longer configured are deleted")
          .isEmpty();
    }
  }
}
