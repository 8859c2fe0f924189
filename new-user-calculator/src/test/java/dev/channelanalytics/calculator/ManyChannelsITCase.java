package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
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
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100,000 channels in one product and hour, each with one new user (channel names in several
 * scripts, so the merge of counts and stored rows meets every byte order): the hour's windows are
 * written in bounded bulks from a paged aggregation, every row is exact, and when a thousand users
 * move to the hour before, exactly their rows leave this hour.
 */
class ManyChannelsITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int CHANNELS = 100_000;
  private static final Duration TIMEOUT = Duration.ofMinutes(4);

  @TempDir Path dir;

  private static String channel(int i) {
    return switch (i % 4) {
      case 0 -> "ch-" + i;
      case 1 -> "频道-" + i;
      case 2 -> "\uD83D\uDE80-" + i; // a code point beyond the BMP
      default -> "Ω" + i;
    };
  }

  private static JsonNode rows(URI api, String granularity, Instant from, Instant to)
      throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    api.resolve(
                        "/api/v1/new-users?product=p&granularity="
                            + granularity
                            + "&from="
                            + from
                            + "&to="
                            + to))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body()).path("rows");
  }

  private static long sum(JsonNode rows) {
    long total = 0;
    for (JsonNode r : rows) {
      total += r.path("new_users").asLong();
    }
    return total;
  }

  @Test
  void aHundredThousandChannelsInOneHourAreWrittenExactlyAndMovedUsersLeaveExactly()
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    ChannelConfig config =
        CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix);
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(5, ChronoUnit.HOURS);
    Instant next = hour.plus(1, ChronoUnit.HOURS);
    Instant before = hour.minus(1, ChronoUnit.HOURS);
    try (ElasticsearchConnection es =
            ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(TIMEOUT));
        NewUserCalculatorService service = NewUserCalculatorService.start(config, 0)) {
      URI api = URI.create("http://localhost:" + service.port());
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      store.ensureProductIndex("p");
      List<FirstSeenStore.Write> writes = new ArrayList<>();
      TreeSet<Long> minutes = new TreeSet<>();
      for (int i = 0; i < CHANNELS; i++) {
        long t0 = hour.toEpochMilli() + (i % 3_600) * 1_000L;
        minutes.add(t0 - t0 % 60_000);
        writes.add(
            new FirstSeenStore.Write(
                new FirstSeenRecord("p", "d" + i, t0, channel(i), "ak"), false));
      }
      store.write(writes, System.currentTimeMillis());
      store.markChanged(Map.of("p", minutes), System.currentTimeMillis(), "many");

      Poll.until(
          "the hour's " + CHANNELS + " hour rows",
          TIMEOUT,
          () -> rows(api, "hour", hour, next).size() == CHANNELS);
      JsonNode hourRows = rows(api, "hour", hour, next);
      assertThat(sum(hourRows)).isEqualTo(CHANNELS);
      JsonNode minuteRows = rows(api, "minute", hour, next);
      assertThat(minuteRows.size()).isEqualTo(CHANNELS);
      assertThat(sum(minuteRows)).isEqualTo(CHANNELS);

      // A thousand users seen earlier, in the hour before: their rows leave this hour exactly.
      List<FirstSeenStore.Write> moved = new ArrayList<>();
      TreeSet<Long> touched = new TreeSet<>();
      for (int i = 0; i < 1_000; i++) {
        int user = i * 97;
        long was = hour.toEpochMilli() + (user % 3_600) * 1_000L;
        long t0 = before.toEpochMilli() + i * 1_000L;
        touched.add(was - was % 60_000);
        touched.add(t0 - t0 % 60_000);
        moved.add(
            new FirstSeenStore.Write(
                new FirstSeenRecord("p", "d" + user, t0, channel(user), "ak"), false));
      }
      store.write(moved, System.currentTimeMillis());
      store.markChanged(Map.of("p", touched), System.currentTimeMillis(), "moved");
      Poll.until(
          "the moved users' rows to leave the hour",
          TIMEOUT,
          () -> rows(api, "hour", hour, next).size() == CHANNELS - 1_000);
      assertThat(sum(rows(api, "minute", hour, next))).isEqualTo(CHANNELS - 1_000);
      assertThat(sum(rows(api, "hour", before, hour))).isEqualTo(1_000);
      Instant day = hour.truncatedTo(ChronoUnit.DAYS);
      boolean sameDay = !before.isBefore(day);
      assertThat(sum(rows(api, "day", day, next)))
          .as("the day row counts each user once, in the day it is now seen first")
          .isEqualTo(sameDay ? CHANNELS : CHANNELS - 1_000);
    }
  }
}
