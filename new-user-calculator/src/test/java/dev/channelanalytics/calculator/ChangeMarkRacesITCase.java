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
import dev.channelanalytics.testing.TcpProxy;
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
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The races between the sharder's change marks and the calculator, with the calculator running for
 * real: a mark whose write is delayed for seconds by a slow link (long after its stamp, as after a
 * 429 retried, a GC pause or a skewed clock) is still recomputed; a mark written before its
 * documents is not consumed before they are there. The hours are hours ago, out of the trailing
 * window, so only the marks can bring their rows.
 */
class ChangeMarkRacesITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  @TempDir Path dir;

  private record Run(String prefix, ChannelConfig config) {}

  private Run run() {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    return new Run(
        prefix, CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix));
  }

  private static List<FirstSeenStore.Write> users(Instant hour, int n) {
    List<FirstSeenStore.Write> writes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      writes.add(
          new FirstSeenStore.Write(
              new FirstSeenRecord("p", "d" + i, hour.plusSeconds(i).toEpochMilli(), "c", "ak"),
              false));
    }
    return writes;
  }

  private static long hourRow(URI api, Instant hour) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    api.resolve(
                        "/api/v1/new-users?product=p&granularity=hour&from="
                            + hour
                            + "&to="
                            + hour.plus(1, ChronoUnit.HOURS)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode rows = JSON.readTree(r.body()).path("rows");
    return rows.isEmpty() ? 0 : rows.get(0).path("new_users").asLong();
  }

  /** The time of the calculator's last successful changed-bucket run, from its health. */
  private static Instant lastRun(URI api) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(api.resolve("/health")).build(),
            HttpResponse.BodyHandlers.ofString());
    return Instant.parse(
        JSON.readTree(r.body()).path("jobs").path("changed-buckets").path("last_success").asText());
  }

  @Test
  void aMarkWrittenLongAfterItsStampThroughASlowLinkIsStillRecomputed() throws Exception {
    Run run = run();
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.HOURS);
    try (TcpProxy slow = TcpProxy.to(ELASTICSEARCH.url());
        ElasticsearchConnection es =
            ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(TIMEOUT));
        ElasticsearchConnection slowEs =
            ElasticsearchConnection.open(
                slow.url(ELASTICSEARCH.url()), RetryPolicy.upTo(Duration.ofMinutes(2)));
        NewUserCalculatorService service = NewUserCalculatorService.start(run.config(), 0)) {
      URI api = URI.create("http://localhost:" + service.port());
      FirstSeenStore store = new FirstSeenStore(es, run.prefix(), 1, 0);
      store.ensureProductIndex("p");
      store.ensureChangesIndex();
      store.write(users(hour, 5), System.currentTimeMillis());

      // Stamped now, but every chunk of the request and its answer waits 4 s on the way: the mark
      // becomes searchable well after the calculator's runs of the seconds after its stamp.
      slow.delay(Duration.ofSeconds(4));
      new FirstSeenStore(slowEs, run.prefix(), 1, 0)
          .markChanged(
              Map.of("p", List.of(hour.toEpochMilli())), System.currentTimeMillis(), "late");
      Poll.until("the late mark's hour row", TIMEOUT, () -> hourRow(api, hour) == 5);
    }
  }

  @Test
  void aMarkWrittenBeforeItsDocumentsIsNotConsumedBeforeThemAndTheRowEndsExact() throws Exception {
    Run run = run();
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(4, ChronoUnit.HOURS);
    try (ElasticsearchConnection es =
            ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(TIMEOUT));
        NewUserCalculatorService service = NewUserCalculatorService.start(run.config(), 0)) {
      URI api = URI.create("http://localhost:" + service.port());
      FirstSeenStore store = new FirstSeenStore(es, run.prefix(), 1, 0);
      store.ensureProductIndex("p");
      store.write(users(hour, 2), System.currentTimeMillis());
      store.markChanged(Map.of("p", List.of(hour.toEpochMilli())), System.currentTimeMillis(), "a");
      Poll.until("the first two users", TIMEOUT, () -> hourRow(api, hour) == 2);

      // The sharder's order: the mark first, pending; its documents are held back meanwhile.
      List<Long> minute = List.of(hour.toEpochMilli());
      store.markPending(Map.of("p", minute), System.currentTimeMillis(), "b");
      Instant marked = Instant.now();
      Poll.until(
          "two calculator runs after the pending mark",
          TIMEOUT,
          () -> lastRun(api).isAfter(marked.plusSeconds(2)));
      assertThat(store.changedSince(Long.MIN_VALUE).get("p"))
          .as("the pending mark is still there")
          .contains(hour.toEpochMilli());
      assertThat(hourRow(api, hour)).isEqualTo(2);

      store.write(users(hour, 7), System.currentTimeMillis());
      store.markChanged(Map.of("p", minute), System.currentTimeMillis(), "b");
      Poll.until("all seven users", TIMEOUT, () -> hourRow(api, hour) == 7);
      Poll.until(
          "every mark consumed",
          TIMEOUT,
          () -> store.marksToRecompute(10, Long.MAX_VALUE).isEmpty());
    }
  }
}
